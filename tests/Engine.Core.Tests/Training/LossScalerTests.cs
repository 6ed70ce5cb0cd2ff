namespace Engine.Core.Tests.Training;

public sealed class LossScalerTests
{
    private static Parameter NewParameter(IBackend backend, string name, double[] gradient) =>
        new(name, TestEngine.Upload(backend, new Shape(gradient.Length), new double[gradient.Length]), TestEngine.Upload(backend, new Shape(gradient.Length), gradient));

    [Fact]
    public void AnOverflowLeavesTheGradientsSkipsAndHalvesTheScale()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Parameter a = NewParameter(backend, "a", [1, 2]);
        using Parameter b = NewParameter(backend, "b", [double.PositiveInfinity]);
        using var scaler = new LossScaler();
        Assert.False(scaler.Unscale([a, b]));
        Assert.Equal(32768, scaler.Scale);
        Assert.Equal(1, scaler.SkippedSteps);
        Assert.Equal([1, 2], TestEngine.Download(a.Gradient));

        using Parameter nan = NewParameter(backend, "nan", [double.NaN, 3]);
        Assert.False(scaler.Unscale([a, nan]));
        Assert.Equal(16384, scaler.Scale);
        Assert.Equal("loss scale 16384, 2 step(s) skipped", scaler.Description);
    }

    [Fact]
    public void CleanStepsAreUnscaledAndGrowTheScaleAfterTheInterval()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var scaler = new LossScaler(initialScale: 8, growthInterval: 3);
        using Parameter a = NewParameter(backend, "a", [8, -4]);
        using Parameter frozen = NewParameter(backend, "frozen", [double.NaN]);
        frozen.Frozen = true; // frozen gradients are neither checked nor unscaled
        Assert.True(scaler.Unscale([a, frozen]));
        Assert.Equal([1, -0.5], TestEngine.Download(a.Gradient));
        Assert.True(scaler.Unscale([a]));
        Assert.Equal(8, scaler.Scale);
        Assert.True(scaler.Unscale([a])); // the third clean step in a row
        Assert.Equal(16, scaler.Scale);
        Assert.Equal([0.125 / 8, -0.0625 / 8], TestEngine.Download(a.Gradient));

        // An overflow restarts the count: two clean steps after it do not grow the scale.
        using Parameter inf = NewParameter(backend, "inf", [double.NegativeInfinity]);
        Assert.True(scaler.Unscale([a]));
        Assert.False(scaler.Unscale([inf]));
        Assert.True(scaler.Unscale([a]));
        Assert.True(scaler.Unscale([a]));
        Assert.Equal(8, scaler.Scale);
    }

    [Fact]
    public void ScalingTheLossGradientMultipliesItInPlace()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Tensor g = TestEngine.Upload(backend, new Shape(3), [0.5, -1e-3, 0]);
        using var scaler = new LossScaler(initialScale: 1024);
        scaler.ScaleGradient(g);
        Assert.Equal([512, -1.024, 0], TestEngine.Download(g).Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void BadSettingsAreConfigurationErrors()
    {
        Assert.Contains("initial scale", Assert.Throws<ConfigurationException>(() => new LossScaler(initialScale: 0)).Message);
        Assert.Contains("backoff factor", Assert.Throws<ConfigurationException>(() => new LossScaler(backoffFactor: 1)).Message);
        Assert.Contains("growth interval", Assert.Throws<ConfigurationException>(() => new LossScaler(growthInterval: 0)).Message);
    }

    /// <summary>LeNet-5's state before and after four Adam steps on MNIST with a scaler starting at <paramref name="initialScale"/>.</summary>
    private static (Dictionary<string, long[]> Before, Dictionary<string, long[]> After, LossScaler Scaler) TrainLeNet(double initialScale)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, TestEngine.Catalog.Model("lenet5").Spec, seed: 4);
        var before = TrainingFixtures.Bits(network);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var optimizer = new AdamOptimizer(0.001);
        var scaler = new LossScaler(initialScale);
        var options = new TrainingOptions(Epochs: 1, BatchSize: 32, Seed: 3) { LossScaling = scaler };
        new Trainer(network, loss, optimizer, options).Fit(TrainingFixtures.MnistTrain(128));
        return (before, TrainingFixtures.Bits(network), scaler);
    }

    private static bool SameBits(Dictionary<string, long[]> a, Dictionary<string, long[]> b) =>
        a.Keys.SequenceEqual(b.Keys) && a.Keys.All(k => a[k].SequenceEqual(b[k]));

    [Fact]
    public void UnscaledTrainingEqualsFloat32TrainingBitForBit()
    {
        // Scales are powers of two: scaling the loss gradient, backward in float32 and unscaling give
        // float32's gradients exactly (nothing overflows or underflows at 2^16).
        var (before, plain, one) = TrainLeNet(1);
        var (_, scaled, sixteen) = TrainLeNet(65536);
        Assert.Equal(0, one.SkippedSteps + sixteen.SkippedSteps);
        Assert.False(SameBits(before, plain));
        Assert.True(SameBits(plain, scaled));
    }

    [Fact]
    public void AnInjectedOverflowSkipsEveryStepOfTheTrainer()
    {
        // 1e300 is infinite in float32: the scaled loss gradient is ±∞ (or NaN), so each of the four
        // steps is skipped (the weights and Adam's state stay) and the scale halves four times.
        var (before, after, scaler) = TrainLeNet(1e300);
        Assert.Equal(4, scaler.SkippedSteps);
        Assert.Equal(1e300 / 16, scaler.Scale);
        Assert.True(SameBits(before, after));
    }
}
