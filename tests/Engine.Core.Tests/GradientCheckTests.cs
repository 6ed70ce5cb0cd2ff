using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>
/// Finite-difference checks in float64: central differences with h = 1e-6 have truncation error
/// ~h² and rounding error ~1e-16/h, so agreement to 1e-6 relative is a sharp test.
/// </summary>
public sealed class GradientCheckTests
{
    private const double H = 1e-6;

    [Fact]
    public void SoftmaxCrossEntropyGradientMatchesFiniteDifferences()
    {
        using IBackend backend = TestEngine.CreateBackend();
        const int n = 4, k = 7;
        double[] logits = TestEngine.RandomValues(n * k, seed: 11, scale: 3);
        double[] targets = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            targets[i * k + (i * 3) % k] = 1;
        }
        using Tensor z = TestEngine.Upload(backend, new Shape(n, k), logits);
        using Tensor t = TestEngine.Upload(backend, new Shape(n, k), targets);
        using var loss = new SoftmaxCrossEntropyLoss();

        double[] analytic = TestEngine.Download(loss.Compute(z, t).Gradient);
        double Loss(double[] values)
        {
            backend.CopyFromHost<double>(values, z);
            return TestEngine.Download(loss.Compute(z, t).Value)[0];
        }
        for (int i = 0; i < logits.Length; i++)
        {
            double[] plus = (double[])logits.Clone(), minus = (double[])logits.Clone();
            plus[i] += H;
            minus[i] -= H;
            double numeric = (Loss(plus) - Loss(minus)) / (2 * H);
            Assert.Equal(numeric, analytic[i], 1e-8);
        }
    }

    [Fact]
    public void SoftmaxCrossEntropyKnownValueAndStabilityWithHugeLogits()
    {
        using IBackend backend = TestEngine.CreateBackend();
        // Row 1: uniform logits over 4 classes → loss ln 4. Row 2: logits ±1000, the target has the
        // smallest: loss 2000 exactly (a naive log(softmax) would give infinity).
        using Tensor z = TestEngine.Upload(backend, new Shape(2, 4), [0, 0, 0, 0, 1000, -1000, 0, 0]);
        using Tensor t = TestEngine.Upload(backend, new Shape(2, 4), [0, 1, 0, 0, 0, 1, 0, 0]);
        using var loss = new SoftmaxCrossEntropyLoss();
        LossOutput output = loss.Compute(z, t);
        Assert.Equal((Math.Log(4) + 2000) / 2, TestEngine.Download(output.Value)[0], 1e-9);
        double[] g = TestEngine.Download(output.Gradient);
        Assert.All(g, v => Assert.True(double.IsFinite(v)));
        Assert.Equal((0.25 - 1) / 2, g[1], 1e-12);
        Assert.Equal(-0.5, g[5], 1e-12);
        Assert.Equal(0.5, g[4], 1e-12);
    }

    [Fact]
    public void MlpGradientsMatchFiniteDifferencesForEveryParameterAndTheInput()
    {
        var spec = new ModelSpec("check",
        [
            new LayerSpec("flatten"),
            new LayerSpec("dense", new JsonObject { ["units"] = 6 }),
            new LayerSpec("tanh"),
            new LayerSpec("dense", new JsonObject { ["units"] = 5 }),
            new LayerSpec("relu"),
            new LayerSpec("dense", new JsonObject { ["units"] = 3 }),
            new LayerSpec("sigmoid"),
            new LayerSpec("dense", new JsonObject { ["units"] = 4 }),
        ]);
        CheckNetwork(spec, expectedParameters: 8);
    }

    [Fact]
    public void GraphWithSkipConnectionsBranchesAndConcatenationHasExactGradients()
    {
        // The flattened input feeds three layers and 'sum' adds two branches, so gradients are summed
        // at both; 'concat' splits dy back into its inputs' channel ranges.
        JsonObject Units(int n) => new() { ["units"] = n };
        var spec = new ModelSpec("graph",
        [
            new LayerSpec("flatten", Name: "f"),
            new LayerSpec("dense", Units(4), "a"),
            new LayerSpec("tanh", Name: "t"),
            new LayerSpec("dense", Units(4), "b"),
            new LayerSpec("dense", Units(4), "skip", ["f"]),
            new LayerSpec("add", Name: "sum", Inputs: ["b", "skip"]),
            new LayerSpec("dense", Units(3), "c", ["f"]),
            new LayerSpec("concat", Name: "cat", Inputs: ["sum", "c", "f"]),
            new LayerSpec("dense", Units(4), "out"),
        ]);
        CheckNetwork(spec, expectedParameters: 10);
    }

    [Fact]
    public void AuxiliaryOutputsAddTheirWeightedLossGradients()
    {
        // 'head' is a side branch read by nothing; 'b' is an auxiliary output that 'out' also reads, so
        // its slot sums the weighted auxiliary gradient with out's. The checked loss is
        // L(out) + 0.3·L(head) + 0.5·L(b), each a softmax cross-entropy against the same targets.
        JsonObject Units(int n) => new() { ["units"] = n };
        var spec = new ModelSpec("aux",
        [
            new LayerSpec("flatten", Name: "f"),
            new LayerSpec("dense", Units(4), "a"),
            new LayerSpec("tanh", Name: "t"),
            new LayerSpec("dense", Units(4), "head", ["t"]),
            new LayerSpec("dense", Units(4), "b", ["t"]),
            new LayerSpec("tanh", Name: "bt"),
            new LayerSpec("dense", Units(4), "out"),
        ])
        { AuxiliaryOutputs = [new AuxiliaryOutput("head", 0.3), new AuxiliaryOutput("b", 0.5)] };
        using IBackend backend = TestEngine.CreateBackend();
        var inputShape = new Shape(2, 3, 1);
        const int batch = 3;
        using Network net = Network.Build(spec, TestEngine.Catalog, backend, inputShape, seed: 5, DataType.Float64);
        Assert.Equal([(3, 0.3), (4, 0.5)], net.AuxiliaryOutputs);
        net.ComputeInputGradient = true;
        using Tensor x = TestEngine.Upload(backend, inputShape.WithBatch(batch), TestEngine.RandomValues(batch * 6, seed: 3));
        using Tensor t = TestEngine.Upload(backend, new Shape(batch, 4), [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        using var loss = new SoftmaxCrossEntropyLoss();

        double Loss()
        {
            double main = TestEngine.Download(loss.Compute(net.Forward(x, training: true), t).Value)[0];
            double head = TestEngine.Download(loss.Compute(net.AuxiliaryOutput(0), t).Value)[0];
            double b = TestEngine.Download(loss.Compute(net.AuxiliaryOutput(1), t).Value)[0];
            return main + 0.3 * head + 0.5 * b;
        }

        Tensor output = net.Forward(x, training: true);
        // The loss reuses its gradient buffer: keep copies of the auxiliary ones, as the trainer does.
        using Tensor gHead = TestEngine.Upload(backend, new Shape(batch, 4), TestEngine.Download(loss.Compute(net.AuxiliaryOutput(0), t).Gradient));
        using Tensor gB = TestEngine.Upload(backend, new Shape(batch, 4), TestEngine.Download(loss.Compute(net.AuxiliaryOutput(1), t).Gradient));
        double[] inputGradient = TestEngine.Download(net.Backward(loss.Compute(output, t).Gradient, [gHead, gB])!);
        var checks = net.Parameters.Select(p => (p.Name, p.Value, Analytic: TestEngine.Download(p.Gradient))).Append(("input", x, inputGradient)).ToList();
        Assert.Equal(9, checks.Count);
        AssertFiniteDifferences(backend, checks, Loss);
        double largestHeadGradient = checks.Where(c => c.Item1.StartsWith("head", StringComparison.Ordinal))
            .SelectMany(c => c.Item3).Select(Math.Abs).DefaultIfEmpty(0).Max();
        Assert.True(largestHeadGradient > 1e-3, $"the side head gets gradients ({largestHeadGradient})");

        Assert.Throws<ArgumentException>(() => net.Backward(loss.Compute(net.Forward(x, training: true), t).Gradient, [gHead]));
    }

    [Fact]
    public void AuxiliaryOutputsMustNameAnEarlierLayerOtherThanTheLast()
    {
        using IBackend backend = TestEngine.CreateBackend();
        ModelSpec Spec(string layer, double weight) => new("aux", [new LayerSpec("flatten", Name: "f"), new LayerSpec("dense", new JsonObject { ["units"] = 4 }, "out")])
        { AuxiliaryOutputs = [new AuxiliaryOutput(layer, weight)] };
        string Error(string layer, double weight) =>
            Assert.Throws<ConfigurationException>(() => Network.Build(Spec(layer, weight), TestEngine.Catalog, backend, new Shape(6), seed: 1).Dispose()).Message;
        Assert.Equal("model 'aux' auxiliary output 'nope': no layer has that name", Error("nope", 0.3));
        Assert.Contains("the last layer is the main output", Error("out", 0.3));
        Assert.Contains("got -1", Error("f", -1));
    }

    private static void CheckNetwork(ModelSpec spec, int expectedParameters)
    {
        using IBackend backend = TestEngine.CreateBackend();
        var inputShape = new Shape(2, 3, 1);
        const int batch = 3;
        using Network net = Network.Build(spec, TestEngine.Catalog, backend, inputShape, seed: 5, DataType.Float64);
        net.ComputeInputGradient = true;
        using Tensor x = TestEngine.Upload(backend, inputShape.WithBatch(batch), TestEngine.RandomValues(batch * 6, seed: 3));
        using Tensor t = TestEngine.Upload(backend, new Shape(batch, 4), [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        using var loss = new SoftmaxCrossEntropyLoss();

        double Loss() => TestEngine.Download(loss.Compute(net.Forward(x, training: false), t).Value)[0];

        LossOutput output = loss.Compute(net.Forward(x, training: true), t);
        double[] inputGradient = TestEngine.Download(net.Backward(output.Gradient)!);
        var checks = net.Parameters.Select(p => (p.Name, p.Value, Analytic: TestEngine.Download(p.Gradient))).Append(("input", x, inputGradient)).ToList();
        Assert.Equal(expectedParameters + 1, checks.Count);

        AssertFiniteDifferences(backend, checks, Loss);
    }

    // Central differences of loss() in every element of every checked tensor against its backward value.
    private static void AssertFiniteDifferences(IBackend backend, List<(string Name, Tensor Value, double[] Analytic)> checks, Func<double> loss)
    {
        foreach (var (name, tensor, analytic) in checks)
        {
            double[] values = TestEngine.Download(tensor);
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + H;
                backend.CopyFromHost<double>(values, tensor);
                double plus = loss();
                values[i] = saved - H;
                backend.CopyFromHost<double>(values, tensor);
                double minus = loss();
                values[i] = saved;
                backend.CopyFromHost<double>(values, tensor);
                double numeric = (plus - minus) / (2 * H);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-7 + 1e-6 * Math.Abs(numeric),
                    $"{name}[{i}]: finite difference {numeric:G10}, backward {analytic[i]:G10}");
            }
        }
    }
}
