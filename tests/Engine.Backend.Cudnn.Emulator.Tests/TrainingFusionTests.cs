using System.Text.Json.Nodes;
using Engine.Conformance;
using Engine.Core;
using Engine.Host;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>
/// Issue 15's fused training forward on the emulator: a convolution and the ReLU after it run as one
/// cudnnConvolutionBiasActivationForward in training passes (<see cref="Network.FuseTraining"/>,
/// <c>ENGINE_CUDNN_TRAIN_FUSION</c>), the ReLU's backward reads the fused output, the convolution's
/// reads its kept input. Against the same network with <c>ENGINE_CUDNN_TRAIN_FUSION=off</c>: forward
/// outputs, the input gradient and every parameter gradient, LeNet-5 and a VGG-style stack, strict and
/// TF32; training through CUDA graphs; host reads per step; the kit's cases of the new call.
/// </summary>
/// <remarks>
/// Tolerance: none. The emulator's fused call computes the convolution with the same loops as its
/// plain forward, then adds the bias and clamps, in float32 as the separate kernels do, so the two
/// passes agree bit for bit here and any difference is a wrong buffer or a gradient read from the
/// wrong output. On a GPU the fused kernel may sum in another order (cuDNN picks kernels per call):
/// there the kit's float32 tolerance of the precision (1e-5 strict, 1e-2 TF32) is the bound, which the
/// kit's ConvolutionBiasActivation cases check (run_cudnn_checks.sh).
/// </remarks>
[Collection(PrecisionModeCollection.Name)]
public sealed class TrainingFusionTests
{
    // VGG-style: 3×3 convolutions with ReLU in pairs, pooling, one convolution without a bias (the fused
    // call's zero bias), dense head with ReLU (not a convolution: not fused).
    private const string VggJson = """
        { "name": "vgg-style", "layers": [
          {"type": "conv2d", "filters": 8, "kernel": 3, "padding": "same"}, {"type": "relu"},
          {"type": "conv2d", "filters": 8, "kernel": 3, "padding": "same"}, {"type": "relu"}, {"type": "max_pool2d", "pool": 2},
          {"type": "conv2d", "filters": 16, "kernel": 3, "padding": "same", "bias": false}, {"type": "relu"},
          {"type": "conv2d", "filters": 16, "kernel": 3, "padding": "same"}, {"type": "relu"}, {"type": "max_pool2d", "pool": 2},
          {"type": "flatten"}, {"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dense", "units": 5} ] }
        """;

    private static readonly Shape Mnist = new(1, 28, 28), Cifarish = new(3, 16, 16);

    [Theory]
    [InlineData("lenet5", "strict", 2)]
    [InlineData("lenet5", "tf32", 2)]
    [InlineData("vgg-style", "strict", 4)]
    [InlineData("vgg-style", "tf32", 4)]
    public void FusedTrainingPassesGiveTheUnfusedOutputsAndGradientsBitForBit(string model, string precision, int pairs)
    {
        try
        {
            Pass fused = Run(model, ("ENGINE_PRECISION", precision));
            Pass plain = Run(model, ("ENGINE_PRECISION", precision), (TrainFusion, "off"));
            Assert.Equal(pairs, fused.FusedLayers);
            Assert.Equal(0, plain.FusedLayers);
            Assert.Equal(pairs * Batches.Length, fused.FusedCalls); // every pair, every training pass, one cuDNN call
            Assert.Equal(0, plain.FusedCalls);
            AssertBits(plain.Output, fused.Output, "output");
            AssertBits(plain.InputGradient, fused.InputGradient, "input gradient");
            Assert.Equal(plain.Gradients.Length, fused.Gradients.Length);
            for (int p = 0; p < plain.Gradients.Length; p++)
            {
                AssertBits(plain.Gradients[p], fused.Gradients[p], $"gradient {p}");
            }
            Assert.Contains(fused.Output, v => v != 0);
            Assert.All(fused.Gradients, g => Assert.Contains(g, v => v != 0 && float.IsFinite(v)));
        }
        finally
        {
            Create().Dispose(); // the shim's precision back to the default for the other tests
        }
    }

    [Fact]
    public void TrainingThroughCudaGraphsWithFusionGivesTheUnfusedParametersAndReadsTheHostNoMore()
    {
        (float[][] fused, long fusedCalls, long fusedReads) = Train();
        (float[][] plain, long plainCalls, long plainReads) = Train((TrainFusion, "off"));
        Assert.True(fusedCalls > 0, "no convolution ran fused");
        Assert.Equal(0, plainCalls);
        Assert.Equal(plain.Length, fused.Length);
        for (int p = 0; p < plain.Length; p++)
        {
            AssertBits(plain[p], fused[p], $"parameter {p}");
        }
        // The fused call adds no host round trip (the zero bias is filled on the device, once).
        Assert.Equal(plainReads, fusedReads);
    }

    [Theory]
    [InlineData("strict")]
    [InlineData("tf32")]
    public void TheKitsBiasActivationCasesPassWithTheReluOnesFused(string precision)
    {
        using IBackend backend = Create(("ENGINE_PRECISION", precision));
        try
        {
            ConformanceSummary summary = EmulatorBackends.PassKit(backend, "and activation");
            // 6 geometries × 3 activations × bias or none × float32/64 (3-D included: cuDNN runs it unfused).
            Assert.Equal(72, summary.Passed);
            // Fused: float32 ReLU on the 2-D problems without groups padded symmetrically (2), with and without a bias.
            Assert.Equal(4, Member<long>(backend, "FusedConvolutions"));
        }
        finally
        {
            Create().Dispose();
        }
    }

    private const string TrainFusion = "ENGINE_CUDNN_TRAIN_FUSION";

    private static readonly int[] Batches = [4, 3, 4];

    private sealed record Pass(float[] Output, float[] InputGradient, float[][] Gradients, int FusedLayers, long FusedCalls);

    /// <summary>Three training passes (batches 4, 3, 4) with random inputs and output gradients; the last one's results.</summary>
    private static Pass Run(string model, params (string Name, string Value)[] variables)
    {
        EngineHost host = Emulator.EngineHost;
        using IBackend backend = Create(variables);
        bool lenet = model == "lenet5";
        Shape sample = lenet ? Mnist : Cifarish;
        ModelSpec spec = lenet ? host.Catalog.Model("lenet5").Spec : ModelFile.FromJson(JsonNode.Parse(VggJson)!, model);
        using Network network = host.BuildNetwork(spec, backend, sample, seed: 7);
        network.ComputeInputGradient = true;
        var random = new Random(11);
        float[] output = [], input = [];
        foreach (int batch in Batches)
        {
            using Tensor x = Upload(backend, sample.WithBatch(batch), random, 1.0);
            using Tensor dy = Upload(backend, network.OutputShape.WithBatch(batch), random, 0.1);
            output = Download(network.Forward(x, training: true));
            input = Download(network.Backward(dy)!);
        }
        return new Pass(output, input, network.Parameters.Select(p => Download(p.Gradient)).ToArray(), network.FusedTrainingLayerCount,
            Member<long>(backend, "FusedConvolutions"));
    }

    /// <summary>The VGG-style net, 2 epochs of 21 examples in batches of 8 with SGD + momentum and CUDA graphs; parameters, fused calls, host reads.</summary>
    private static (float[][] Parameters, long FusedCalls, long HostReads) Train(params (string Name, string Value)[] variables)
    {
        EngineHost host = Emulator.EngineHost;
        using IBackend backend = Create(variables);
        using var counting = new CountingCapture(backend);
        var random = new Random(5);
        float[] samples = Enumerable.Range(0, 21 * (int)Cifarish.ElementCount).Select(_ => (float)random.NextDouble()).ToArray();
        var data = new ArrayDataset(samples, Enumerable.Range(0, 21).Select(i => i % 5).ToArray(), Cifarish, 5);
        using Network network = host.BuildNetwork(ModelFile.FromJson(JsonNode.Parse(VggJson)!, "vgg-style"), counting, Cifarish, seed: 3);
        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = 0.05, ["momentum"] = 0.9 });
        new Trainer(network, loss, optimizer, new TrainingOptions(2, 8, Seed: 5) { CudaGraphs = true }).Fit(data);
        long reads = counting.HostReads;
        float[][] parameters = network.Parameters.Select(p => Download(p.Value)).ToArray();
        return (parameters, Member<long>(backend, "FusedConvolutions"), reads);
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: unfused {expected[i]:R}, fused {actual[i]:R}");
        }
    }

    private static Tensor Upload(IBackend backend, Shape shape, Random random, double scale)
    {
        Tensor t = backend.Allocate(shape);
        backend.CopyFromHost<float>(Enumerable.Range(0, (int)shape.ElementCount).Select(_ => (float)((random.NextDouble() - 0.5) * scale)).ToArray(), t);
        return t;
    }

    private static float[] Download(Tensor t)
    {
        var values = new float[t.ElementCount];
        t.Backend.CopyToHost<float>(t, values);
        return values;
    }

    private static IBackend Create(params (string Name, string Value)[] variables) => EmulatorBackends.Create(variables);

    private static T Member<T>(object target, string name) => EmulatorBackends.Member<T>(target, name);

    /// <summary>Counts host reads (as <see cref="CountingBackend"/> does) and passes the graph capture through, so the trainer still captures.</summary>
    private sealed class CountingCapture(IBackend inner) : BackendDecorator(inner, ownsInner: false), IStepCapture
    {
        public long HostReads { get; private set; }

        public override void CopyToHost<T>(Tensor source, Span<T> destination)
        {
            HostReads++;
            base.CopyToHost(source, destination);
        }

        public void BeginCapture() => ((IStepCapture)Inner).BeginCapture();

        public ICapturedStep EndCapture() => ((IStepCapture)Inner).EndCapture();
    }
}
