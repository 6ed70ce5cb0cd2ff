namespace Engine.Layers.Standard.Tests;

/// <summary>The init and bias_init arguments: sample statistics of large weights, PyTorch's fans, seeds, errors.</summary>
public sealed class InitializerTests
{
    private static (double Mean, double Std, double MaxAbs) Statistics(double[] values)
    {
        double mean = values.Average();
        double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        return (mean, std, values.Max(Math.Abs));
    }

    // Dense 400 → 300: 120 000 weights; fan_in 400, fan_out 300.
    [Theory]
    [InlineData("\"default\"", 0.05 / 1.7320508075688772, 0.05)] // U(±1/√400 = ±0.05): std 0.05/√3
    [InlineData("\"normal\"", 0.01, double.NaN)]
    [InlineData("{\"name\": \"normal\", \"std\": 0.2}", 0.2, double.NaN)]
    [InlineData("{\"name\": \"uniform\", \"limit\": 0.3}", 0.3 / 1.7320508075688772, 0.3)]
    [InlineData("\"xavier_uniform\"", 0.05345224838248488, 0.09258200997725514)] // ±√(6/700): std √(2/700)
    [InlineData("\"glorot_normal\"", 0.05345224838248488, double.NaN)] // √(2/700)
    [InlineData("\"he_normal\"", 0.07071067811865475, double.NaN)] // √(2/400)
    [InlineData("\"kaiming_uniform\"", 0.07071067811865475, 0.12247448713915890)] // ±√(6/400) = ±0.1225: std √(2/400)
    public void DenseWeightsHaveTheRulesStatistics(string init, double std, double limit)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "dense", $"{{\"units\": 300, \"init\": {init}}}", new Shape(400));
        var (mean, actualStd, maxAbs) = Statistics(LayerHarness.Download(layer.Parameters[0].Value));
        Assert.InRange(mean, -0.01 * std - 1e-4, 0.01 * std + 1e-4);
        Assert.InRange(actualStd, 0.99 * std, 1.01 * std);
        if (!double.IsNaN(limit))
        {
            Assert.InRange(maxAbs, 0.99 * limit, limit);
        }
    }

    [Fact]
    public void ConvolutionFansArePyTorchs()
    {
        // conv2d 8 → 16 filters, kernel 3×3, groups 2: fan_in = (8/2)·9 = 36, fan_out = 16·9 = 144.
        // he_normal: std √(2/36); xavier_uniform: ±√(6/180).
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer he = LayerHarness.Build(backend, "conv2d", "{\"filters\": 16, \"kernel\": 3, \"groups\": 2, \"init\": \"he_normal\"}", new Shape(8, 10, 10));
        using ILayer xavier = LayerHarness.Build(backend, "conv2d", "{\"filters\": 16, \"kernel\": 3, \"groups\": 2, \"init\": \"xavier_uniform\"}", new Shape(8, 10, 10));
        Assert.InRange(Statistics(LayerHarness.Download(he.Parameters[0].Value)).Std, 0.9 * Math.Sqrt(2.0 / 36), 1.1 * Math.Sqrt(2.0 / 36));
        double maxAbs = Statistics(LayerHarness.Download(xavier.Parameters[0].Value)).MaxAbs;
        Assert.InRange(maxAbs, 0.95 * Math.Sqrt(6.0 / 180), Math.Sqrt(6.0 / 180));
    }

    [Fact]
    public void LocallyConnectedUsesTheRule()
    {
        // fan_in = 3·2·2 = 12: he_uniform limit √(6/12)
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "locally_connected2d", "{\"filters\": 4, \"kernel\": 2, \"init\": \"he_uniform\", \"bias_init\": \"zeros\"}", new Shape(3, 9, 9));
        double maxAbs = Statistics(LayerHarness.Download(layer.Parameters[0].Value)).MaxAbs;
        Assert.InRange(maxAbs, 0.95 * Math.Sqrt(0.5), Math.Sqrt(0.5));
        Assert.All(LayerHarness.Download(layer.Parameters[1].Value), b => Assert.Equal(0, b));
    }

    [Fact]
    public void BiasKeepsPyTorchsDefaultUnlessZeros()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer normal = LayerHarness.Build(backend, "dense", "{\"units\": 50, \"init\": \"normal\"}", new Shape(4));
        using ILayer zeros = LayerHarness.Build(backend, "conv1d", "{\"filters\": 5, \"kernel\": 3, \"bias_init\": \"zeros\"}", new Shape(2, 8));
        double[] bias = LayerHarness.Download(normal.Parameters[1].Value);
        Assert.All(bias, b => Assert.InRange(b, -0.5, 0.5)); // U(±1/√4)
        Assert.True(bias.Max(Math.Abs) > 0.3);
        Assert.Equal(new double[5], LayerHarness.Download(zeros.Parameters[1].Value));
    }

    [Fact]
    public void DefaultIsExactlyTheFormerInitialisationAndSeedsDecide()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer implicitDefault = LayerHarness.Build(backend, "dense", "{\"units\": 7}", new Shape(5), seed: 3);
        using ILayer explicitDefault = LayerHarness.Build(backend, "dense", "{\"units\": 7, \"init\": \"default\"}", new Shape(5), seed: 3);
        using Tensor former = backend.Allocate(new Shape(7, 5), DataType.Float64);
        backend.FillRandom(former, RandomDistribution.Uniform, -1 / Math.Sqrt(5), 1 / Math.Sqrt(5), CounterRandom.Derive(3, 0));
        Assert.Equal(LayerHarness.Download(former), LayerHarness.Download(implicitDefault.Parameters[0].Value));
        Assert.Equal(LayerHarness.Download(former), LayerHarness.Download(explicitDefault.Parameters[0].Value));

        using ILayer heA = LayerHarness.Build(backend, "dense", "{\"units\": 7, \"init\": \"he_normal\"}", new Shape(5), seed: 3);
        using ILayer heB = LayerHarness.Build(backend, "dense", "{\"units\": 7, \"init\": \"he_normal\"}", new Shape(5), seed: 3);
        using ILayer heC = LayerHarness.Build(backend, "dense", "{\"units\": 7, \"init\": \"he_normal\"}", new Shape(5), seed: 4);
        Assert.Equal(LayerHarness.Download(heA.Parameters[0].Value), LayerHarness.Download(heB.Parameters[0].Value));
        Assert.NotEqual(LayerHarness.Download(heA.Parameters[0].Value), LayerHarness.Download(heC.Parameters[0].Value));
    }

    [Theory]
    [InlineData("{\"units\": 3, \"init\": \"lecun\"}", "lecun")]
    [InlineData("{\"units\": 3, \"init\": 5}", "5")]
    [InlineData("{\"units\": 3, \"init\": {\"name\": \"normal\", \"std\": -1}}", "std")]
    [InlineData("{\"units\": 3, \"init\": {\"name\": \"he_normal\", \"std\": 1}}", "he_normal")]
    [InlineData("{\"units\": 3, \"bias_init\": \"ones\"}", "ones")]
    public void BadInitArgumentsNameTheLayerArgumentAndValue(string args, string value)
    {
        var e = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("dense", args, "d1").Dispose());
        Assert.Contains("d1", e.Message);
        Assert.Contains("init", e.Message);
        Assert.Contains(value, e.Message);
    }
}
