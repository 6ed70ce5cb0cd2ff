namespace Engine.Layers.Standard.Tests;

public sealed class LrnLayerTests
{
    [Theory]
    [InlineData("{\"size\": 3, \"alpha\": 0.5, \"beta\": 0.75, \"k\": 1}", new[] { 5, 2, 2 })]
    [InlineData("{\"size\": 4, \"alpha\": 1.0, \"beta\": 0.6, \"k\": 2}", new[] { 6, 3 })] // even window: one more channel before than after
    [InlineData("{}", new[] { 7, 2, 1 })]                                                      // AlexNet's defaults
    [InlineData("{\"size\": 3, \"alpha\": 0.3}", new[] { 4 })]                                  // dense input
    public void GradientsMatchFiniteDifferences(string args, int[] sample)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, "lrn", args, shape);
        GradientChecker.Check(layer, backend, shape, 2);
    }

    [Theory]
    // n = 3, α/n = 1, β = 1, k = 1; window of c is c−1 … c+1:
    // 1/(1 + 1 + 4) = 1/6, 2/(1 + 1 + 4 + 9) = 2/15, 3/(1 + 4 + 9) = 3/14.
    [InlineData(3, 3.0, new[] { 1 / 6.0, 2 / 15.0, 3 / 14.0 })]
    // n = 2, α/n = 1: the window of c is c−1 … c (PyTorch): 1/(1 + 1), 2/(1 + 1 + 4), 3/(1 + 4 + 9).
    [InlineData(2, 2.0, new[] { 1 / 2.0, 2 / 6.0, 3 / 14.0 })]
    public void KnownAnswers(int size, double alpha, double[] expected)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(3, 1);
        using ILayer layer = LayerHarness.Build(backend, "lrn", $"{{\"size\": {size}, \"alpha\": {alpha}, \"beta\": 1, \"k\": 1}}", shape);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(1), [1, 2, 3]);
        double[] y = LayerHarness.Download(layer.Forward(x, training: false));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], y[i], 1e-14);
        }
    }

    [Theory]
    [InlineData("{\"size\": 0}", "'size'")]
    [InlineData("{\"alpha\": -1}", "'alpha'")]
    [InlineData("{\"k\": 0}", "'k' is 0")]
    public void BadArgumentsAreNamed(string args, string detail)
    {
        var e = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("lrn", args));
        Assert.Contains("layer 'lrn' (lrn)", e.Message);
        Assert.Contains(detail, e.Message);
    }
}
