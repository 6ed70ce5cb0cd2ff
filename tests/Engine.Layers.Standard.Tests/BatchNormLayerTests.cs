namespace Engine.Layers.Standard.Tests;

public sealed class BatchNormLayerTests
{
    [Theory]
    [InlineData(new[] { 3 }, 4)]        // dense N×C
    [InlineData(new[] { 2, 2, 2 }, 3)]  // convolutional N×C×H×W
    [InlineData(new[] { 2, 5 }, 3)]     // 1-D convolutional
    public void TrainingGradientsMatchFiniteDifferences(int[] sample, int batch)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, "batch_norm", "{}", shape);
        // γ and β away from their initial 1 and 0 so that every term of the gradient is exercised.
        int channels = sample[0];
        backend.CopyFromHost<double>(Enumerable.Range(0, channels).Select(c => 0.5 + (0.7 * c)).ToArray(), layer.Parameters[0].Value);
        backend.CopyFromHost<double>(Enumerable.Range(0, channels).Select(c => 0.3 - (0.2 * c)).ToArray(), layer.Parameters[1].Value);
        GradientChecker.Check(layer, backend, shape, batch);
    }

    /// <summary>Channel 0 = 0, 2, 4, 6 and channel 1 = 2, 10, 10, 18: with ε = 4 both √(var + ε) are whole numbers.</summary>
    private static readonly double[] TinyInput = [0, 2, 2, 10, 4, 10, 6, 18]; // rows (x₀, x₁) of 4 samples

    [Fact]
    public void TinyBatchKnownAnswerAndRunningStatistics()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(2);
        using ILayer layer = LayerHarness.Build(backend, "batch_norm", "{\"epsilon\": 4, \"momentum\": 0.1}", shape);
        backend.CopyFromHost<double>([2, 0.5], layer.Parameters[0].Value); // γ
        backend.CopyFromHost<double>([1, -1], layer.Parameters[1].Value);  // β
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(4), TinyInput);

        // Channel 0 = 0, 2, 4, 6: mean 3, biased variance (9 + 1 + 1 + 9)/4 = 5, √(5 + ε) = 3,
        //   x̂ = −1, −1/3, 1/3, 1, y = 2x̂ + 1 = −1, 1/3, 5/3, 3.
        // Channel 1 = 2, 10, 10, 18: mean 10, biased variance (64 + 0 + 0 + 64)/4 = 32, √(32 + ε) = 6,
        //   x̂ = −4/3, 0, 0, 4/3, y = x̂/2 − 1 = −5/3, −1, −1, −1/3.
        double[] expected = [-1, -5 / 3.0, 1 / 3.0, -1, 5 / 3.0, -1, 3, -1 / 3.0];
        AssertClose(expected, LayerHarness.Download(layer.Forward(x, training: true)));

        // Running statistics after one step, from 0 and 1, with the unbiased variances 5·4/3 and 32·4/3:
        // mean 0.9·0 + 0.1·3 = 0.3 and 0.1·10 = 1; variance 0.9·1 + 0.1·20/3 and 0.9·1 + 0.1·128/3.
        var bn = (BatchNormLayer)layer;
        double[] runningMean = [0.3, 1.0];
        double[] runningVariance = [0.9 + (2.0 / 3), 0.9 + (12.8 / 3)];
        AssertClose(runningMean, LayerHarness.Download(bn.RunningMean));
        AssertClose(runningVariance, LayerHarness.Download(bn.RunningVariance));

        // Inference normalises with the running statistics: y = γ(x − r_mean)/√(r_var + ε) + β.
        double[] inference = LayerHarness.Download(layer.Forward(x, training: false));
        double[] gamma = [2, 0.5], beta = [1, -1];
        for (int i = 0; i < TinyInput.Length; i++)
        {
            int c = i % 2;
            double value = (gamma[c] * (TinyInput[i] - runningMean[c]) / Math.Sqrt(runningVariance[c] + 4)) + beta[c];
            Assert.Equal(value, inference[i], 1e-12);
        }
        // Inference leaves the running statistics alone.
        AssertClose(runningMean, LayerHarness.Download(bn.RunningMean));
    }

    [Fact]
    public void ParametersStartAtOneAndZeroAndStatisticsAreNotParameters()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "batch_norm", "{}", new Shape(3, 4, 4));
        Assert.Equal(["batch_norm.gamma", "batch_norm.beta"], layer.Parameters.Select(p => p.Name));
        Assert.Equal([1, 1, 1], LayerHarness.Download(layer.Parameters[0].Value));
        Assert.Equal([0, 0, 0], LayerHarness.Download(layer.Parameters[1].Value));
        var bn = (BatchNormLayer)layer;
        Assert.Equal([0, 0, 0], LayerHarness.Download(bn.RunningMean));
        Assert.Equal([1, 1, 1], LayerHarness.Download(bn.RunningVariance));
    }

    [Fact]
    public void TrainingOnOneValuePerChannelIsRefused()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "batch_norm", "{}", new Shape(3));
        using Tensor x = LayerHarness.Upload(backend, new Shape(1, 3), [1, 2, 3]);
        var e = Assert.Throws<ShapeException>(() => layer.Forward(x, training: true));
        Assert.Contains("layer 'batch_norm' (batch_norm)", e.Message);
        Assert.Contains("at least 2 values per channel", e.Message);
        layer.Forward(x, training: false); // inference is fine
    }

    [Theory]
    [InlineData("{\"momentum\": 1.5}", "'momentum' is 1.5")]
    [InlineData("{\"epsilon\": 0}", "'epsilon' is 0")]
    public void BadArgumentsAreNamed(string args, string detail)
    {
        var e = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("batch_norm", args));
        Assert.Contains("layer 'batch_norm' (batch_norm)", e.Message);
        Assert.Contains(detail, e.Message);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-12);
        }
    }
}
