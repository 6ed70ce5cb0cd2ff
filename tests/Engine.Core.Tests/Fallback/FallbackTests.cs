using Engine.Datasets.Idx;
using Xunit.Abstractions;

namespace Engine.Core.Tests;

/// <summary>
/// The whole-run capability check and the fallback: LeNet-5 trained on a backend that lacks some op
/// families, with those layers placed on a second OpenBLAS instance (its own storage, so every
/// crossing must be an explicit copy), against the same run on plain OpenBLAS.
/// </summary>
[Collection(Training.SerialCollection.Name)]
public sealed class FallbackTests(ITestOutputHelper output)
{
    private static readonly Lazy<DatasetSplits> Mnist = new(() => TestEngine.Catalog.Dataset("mnist").Load(RepoPaths.Mnist));

    [Fact]
    public void LeNetTrainsThroughTheFallbackWithOneWarningPerLayerAndMatchesPlainOpenBlas()
    {
        var (plain, _, _) = TrainLeNet(refused: null);
        var (fallback, warnings, placement) = TrainLeNet(refused: [BackendOp.Pooling, BackendOp.Lrn]);
        output.WriteLine(string.Join("\n", warnings));
        output.WriteLine($"plain    loss {plain.Loss:R} train {plain.Train:R} test {plain.Test:R}");
        output.WriteLine($"fallback loss {fallback.Loss:R} train {fallback.Train:R} test {fallback.Test:R}");

        Assert.Equal(2, warnings.Count);
        Assert.Equal("layer 'pool1' (max_pool2d): partial does not support pooling max 2-D kernel 2×2 stride 2,2 padding 0,0/0,0 float32 [6, 28, 28]; running it on openblas with copies each way", warnings[0]);
        Assert.StartsWith("layer 'pool2' (max_pool2d): partial does not support pooling max 2-D kernel 2×2 stride 2,2 padding 0,0/0,0 float32 [16, 10, 10];", warnings[1]);
        Assert.Equal(["partial", "partial", "openblas", "partial", "partial", "openblas", "partial", "partial", "partial", "partial", "partial", "partial"], placement);
        Assert.InRange(plain.Loss, 0.3, 2.29); // it learned something in 32 steps (chance: ln 10 = 2.303, 10%),
        Assert.InRange(plain.Test, 0.15, 1.0); // so the runs compare numbers that move
        Assert.Equal(plain.Loss, fallback.Loss, 1e-6);
        Assert.Equal(plain.Train, fallback.Train, 1e-9);
        Assert.Equal(plain.Test, fallback.Test, 1e-9);
        Assert.Equal(plain.TestLoss, fallback.TestLoss, 1e-6);
    }

    [Fact]
    public void LayersWithParametersFallBackAndTheOptimiserUpdatesThemWhereTheyLive()
    {
        // Convolution refused: conv1 (fed by the network input) and conv2 run on openblas with their
        // weights, so the input is copied over, gradients come back, and SGD steps them on openblas.
        var (plain, _, _) = TrainLeNet(refused: null);
        var (fallback, warnings, placement) = TrainLeNet(refused: [BackendOp.Convolution]);
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("layer 'conv1' (conv2d): partial does not support convolution 2-D kernel 5×5 stride 1,1 padding 2,2/2,2 float32 [1, 28, 28]", warnings[0]);
        Assert.Equal("openblas", placement[0]);
        Assert.Equal(plain.Loss, fallback.Loss, 1e-6);
        Assert.Equal(plain.Test, fallback.Test, 1e-9);
        Assert.Equal(plain.TestLoss, fallback.TestLoss, 1e-6);
    }

    [Fact]
    public void InAGraphTheCopiesAndGradientSumsFollowEachLayersBackend()
    {
        // stem feeds a fallback LRN and the skip sum on the main backend, so its gradient is summed
        // from both backends; the last layer (global average pooling) falls back, so the output
        // and its gradient cross too. Float64 throughout: both runs must agree to rounding.
        ModelSpec spec = ModelFile.FromJson(System.Text.Json.Nodes.JsonNode.Parse("""
            { "name": "graph", "layers": [
              {"type": "conv2d", "name": "stem", "filters": 4, "kernel": 3, "padding": "same"},
              {"type": "lrn", "name": "norm", "size": 3},
              {"type": "conv2d", "name": "c1", "filters": 4, "kernel": 3, "padding": "same"},
              {"type": "add", "name": "sum", "inputs": ["stem", "c1"]},
              {"type": "global_avg_pool", "name": "gap"} ] }
            """), "test");
        var input = new Shape(2, 2, 6, 6);
        double[] x = TestEngine.RandomValues((int)input.ElementCount, seed: 3);
        double[] dy = TestEngine.RandomValues(2 * 4, seed: 4);
        (double[] Output, double[] InputGradient, double[][] ParameterGradients) Run(IBackend main, LayerFallback? fallback)
        {
            using Network net = Network.Build(spec, TestEngine.Catalog, main, new Shape(2, 6, 6), seed: 9, DataType.Float64, fallback);
            net.ComputeInputGradient = true;
            using Tensor xt = TestEngine.Upload(main, input, x);
            using Tensor dyt = TestEngine.Upload(main, new Shape(2, 4), dy);
            double[] y = TestEngine.Download(net.Forward(xt, training: true));
            double[] dx = TestEngine.Download(net.Backward(dyt)!);
            return (y, dx, net.Parameters.Select(p => TestEngine.Download(p.Gradient)).ToArray());
        }
        using IBackend plain = TestEngine.CreateBackend();
        var expected = Run(plain, null);
        using IBackend openblas = TestEngine.CreateBackend();
        using var partial = new PartialBackend(TestEngine.CreateBackend(), new HashSet<BackendOp> { BackendOp.Pooling, BackendOp.Lrn });
        var warnings = new List<string>();
        var actual = Run(partial, new LayerFallback(openblas, warnings.Add));
        Assert.Equal(["norm", "gap"], warnings.Select(w => w.Split('\'')[1]));
        Assert.Contains(expected.Output, v => Math.Abs(v) > 1e-3);
        Assert.Equal(expected.Output, actual.Output, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(expected.InputGradient, actual.InputGradient, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(4, actual.ParameterGradients.Length);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected.ParameterGradients[i], actual.ParameterGradients[i], (a, b) => Math.Abs(a - b) < 1e-12);
        }
    }

    [Fact]
    public void WithoutAFallbackAnUnsupportedLayerIsRefusedNamingOpShapeAndBackend()
    {
        using var partial = new PartialBackend(TestEngine.CreateBackend(), new HashSet<BackendOp> { BackendOp.Pooling });
        var e = Assert.Throws<BackendException>(() => Network.Build(TestEngine.Catalog.Model("lenet5").Spec, TestEngine.Catalog, partial, new Shape(1, 28, 28), seed: 1));
        Assert.Equal("layer 'pool1' (max_pool2d): partial does not support pooling max 2-D kernel 2×2 stride 2,2 padding 0,0/0,0 float32 [6, 28, 28] (no fallback backend: --fallback none, or no other backend to fall back to)", e.Message);
    }

    [Theory]
    [InlineData(BackendOp.Softmax, "loss 'softmax-cross-entropy' needs softmax float32")]
    [InlineData(BackendOp.OneHot, "loss 'softmax-cross-entropy' needs one_hot float32")]
    [InlineData(BackendOp.AccumulateLoss, "trainer needs accumulate_loss float32")]
    [InlineData(BackendOp.AccumulateConfusion, "trainer needs accumulate_confusion float32")]
    [InlineData(BackendOp.OptimizerUpdate, "optimizer 'sgd' needs optimizer_update sgd float32")]
    public void WhatOnlyTheMainBackendCanRunIsRefusedBeforeTheFirstStep(BackendOp refused, string expected)
    {
        using IBackend openblas = TestEngine.CreateBackend();
        using var partial = new PartialBackend(TestEngine.CreateBackend(), new HashSet<BackendOp> { refused });
        using Network net = Network.Build(TestEngine.Catalog.Model("mlp").Spec, TestEngine.Catalog, partial, new Shape(1, 28, 28), seed: 1, fallback: new LayerFallback(openblas));
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1);
        var trainer = new Trainer(net, loss, sgd, new TrainingOptions(Epochs: 1, BatchSize: 8));
        var e = Assert.Throws<BackendException>(() => trainer.Fit(((ByteImageDataset)Mnist.Value.Train).Take(16)));
        output.WriteLine(e.Message);
        Assert.StartsWith(expected, e.Message);
        Assert.EndsWith("which backend 'partial' does not support (only layers can run on a fallback backend)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(0, trainer.GlobalStep);
    }

    [Fact]
    public void ClippingAndPenaltiesOverParametersOnTwoBackendsAreRefusedBeforeTheFirstStep()
    {
        using IBackend openblas = TestEngine.CreateBackend();
        using var partial = new PartialBackend(TestEngine.CreateBackend(), new HashSet<BackendOp> { BackendOp.Convolution });
        using Network net = Network.Build(TestEngine.Catalog.Model("lenet5").Spec, TestEngine.Catalog, partial, new Shape(1, 28, 28), seed: 1, fallback: new LayerFallback(openblas));
        using var clipping = new GradientClipping(maxNorm: 5);
        var e = Assert.Throws<BackendException>(() => RunCapabilities.Check(net, clipping: clipping));
        Assert.Equal("gradient clipping (norm ≤ 5) needs every trainable parameter on one backend, but fallback layer(s) 'conv1' on openblas, 'conv2' on openblas keep theirs off partial: not supported with a fallback backend (freeze those layers, or train without clipping)", e.Message);
        using var dense = new Regularizer([new RegularizationGroup("fc*", l2: 1e-4)]);
        Assert.Empty(RunCapabilities.Check(net, regularizer: dense).FallbackLayers.Except(["conv1", "conv2"])); // penalises no fallback layer
        using var all = new Regularizer([new RegularizationGroup("*", l1: 1e-4)]);
        e = Assert.Throws<BackendException>(() => RunCapabilities.Check(net, regularizer: all));
        Assert.StartsWith("the regularizer adds its penalty to the loss on partial, but fallback layer(s) 'conv1' on openblas, 'conv2' on openblas keep", e.Message);
        foreach (Parameter p in net.Layers[0].Parameters.Concat(net.Layers[3].Parameters))
        {
            p.Frozen = true;
        }
        Assert.Equal(["conv1", "conv2"], RunCapabilities.Check(net, clipping: clipping, regularizer: all).FallbackLayers);
    }

    [Fact]
    public void ThePlanListsEveryComponentOnTheBackendThatRunsIt()
    {
        using IBackend openblas = TestEngine.CreateBackend();
        using var partial = new PartialBackend(TestEngine.CreateBackend(), new HashSet<BackendOp> { BackendOp.Pooling });
        using Network net = Network.Build(TestEngine.Catalog.Model("lenet5").Spec, TestEngine.Catalog, partial, new Shape(1, 28, 28), seed: 1, fallback: new LayerFallback(openblas));
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1);
        using var regularizer = new Regularizer([new RegularizationGroup("*", l2: 1e-4)]);
        using var clipping = new GradientClipping(maxNorm: 5, maxValue: 1);
        RunPlan plan = RunCapabilities.Check(net, loss, sgd, regularizer, clipping);
        output.WriteLine(plan.Summary);
        Assert.Equal(["pool1", "pool2"], plan.FallbackLayers);
        Assert.Equal(2, net.FallbackLayerCount);
        Assert.All(plan.Ops.Where(o => o.Owner.StartsWith("layer 'pool", StringComparison.Ordinal)), o => Assert.Same(openblas, o.Backend));
        Assert.All(plan.Ops.Where(o => !o.Owner.StartsWith("layer 'pool", StringComparison.Ordinal)), o => Assert.Same(partial, o.Backend));
        string[] owners = plan.Ops.Select(o => o.Owner).Distinct().ToArray();
        Assert.Contains("loss 'softmax-cross-entropy'", owners);
        Assert.Contains("optimizer 'sgd'", owners);
        Assert.Contains("regularizer", owners);
        Assert.Contains("gradient clipping (norm ≤ 5, value ≤ 1)", owners);
        Assert.Contains("trainer", owners);
        Assert.Contains(plan.Ops, o => o.Op == new OpDescriptor(BackendOp.ClipToNorm, DataType.Float32));
        Assert.Contains(plan.Ops, o => o.Op == new OpDescriptor(BackendOp.Binary, DataType.Float32) { Binary = BinaryOp.Min });
        Assert.Contains(plan.Ops, o => o.Op == new OpDescriptor(BackendOp.Unary, DataType.Float32) { Unary = UnaryOp.Square } && o.Owner == "regularizer");
        Assert.DoesNotContain(plan.Ops, o => o.Op.Unary == UnaryOp.Abs); // no L1 group
        Assert.Contains(plan.Ops, o => o.Op == new OpDescriptor(BackendOp.Memory, DataType.Int32) && o.Owner == "trainer");
        Assert.EndsWith($"on openblas (fallback for 2 layer(s))", plan.Summary);
    }

    private (RunResult Result, List<string> Warnings, string[] Placement) TrainLeNet(BackendOp[]? refused)
    {
        var warnings = new List<string>();
        using IBackend openblas = TestEngine.CreateBackend();
        using IBackend main = refused is null ? TestEngine.CreateBackend() : new PartialBackend(TestEngine.CreateBackend(), refused.ToHashSet());
        ByteImageDataset train = ((ByteImageDataset)Mnist.Value.Train).Take(512);
        ByteImageDataset test = ((ByteImageDataset)Mnist.Value.Test).Take(300);
        using Network net = Network.Build(TestEngine.Catalog.Model("lenet5").Spec, TestEngine.Catalog, main, train.SampleShape, seed: 5,
            fallback: new LayerFallback(openblas, warnings.Add));
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1, momentum: 0.9);
        EpochResult r = new Trainer(net, loss, sgd, new TrainingOptions(Epochs: 1, BatchSize: 16, Seed: 2)).Fit(train, test).Single();
        EvaluationResult evaluation = Trainer.Evaluate(net, test, batchSize: 100, loss);
        string[] placement = net.LayerBackends.Select(b => b.Name).ToArray();
        return (new RunResult(r.TrainLoss, r.TrainAccuracy, r.TestAccuracy, evaluation.Loss), warnings, placement);
    }

    private readonly record struct RunResult(double Loss, double Train, double Test, double TestLoss);
}
