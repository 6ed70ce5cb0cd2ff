namespace Engine.Layers.Standard.Tests;

public sealed class SoftmaxLayerTests
{
    [Theory]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 2, 2, 3 })]
    public void GradientsMatchFiniteDifferences(int[] dims)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(dims);
        using ILayer layer = LayerHarness.Build(backend, "softmax", "{}", shape);
        GradientChecker.Check(layer, backend, shape, batch: 3);
    }

    [Fact]
    public void NormalisesEachSampleOverAllItsFeatures()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "softmax", "{}", new Shape(2, 1, 2));
        // Sample 0: eˣ ∝ 1, 3, 4, 0 (−∞ gets no mass); sample 1: four equal values.
        double[] input = [0, Math.Log(3), Math.Log(4), double.NegativeInfinity, 7, 7, 7, 7];
        using Tensor x = LayerHarness.Upload(backend, new Shape(2, 2, 1, 2), input);
        double[] y = LayerHarness.Download(layer.Forward(x, training: false));
        double[] expected = [1 / 8.0, 3 / 8.0, 4 / 8.0, 0, 0.25, 0.25, 0.25, 0.25];
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(expected[i], y[i], 12);
        }
    }

    [Fact]
    public void RejectsArguments()
    {
        var error = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("softmax", "{\"axis\": 1}"));
        Assert.Contains("unknown argument(s) 'axis'", error.Message);
    }
}
