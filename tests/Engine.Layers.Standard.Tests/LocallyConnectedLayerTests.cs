namespace Engine.Layers.Standard.Tests;

public sealed class LocallyConnectedLayerTests
{
    [Theory]
    [InlineData("""{"filters": 2, "kernel": 3}""", new[] { 2, 5, 4 }, 2)]
    [InlineData("""{"filters": 3, "kernel": [2, 3], "stride": 2, "padding": [[1, 0], [0, 2]]}""", new[] { 2, 5, 4 }, 2)]
    [InlineData("""{"filters": 2, "kernel": 2, "stride": [1, 2], "padding": "same", "bias": false}""", new[] { 1, 4, 5 }, 3)]
    public void GradientsMatchFiniteDifferences(string args, int[] sample, int batch)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, "locally_connected2d", args, shape);
        GradientChecker.Check(layer, backend, shape, batch);
    }

    [Fact]
    public void KnownAnswerUsesADifferentFilterAtEveryPosition()
    {
        // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], 2×2 windows at 4 positions. Each position's filter
        // picks one tap of its window: position 0 the top-left, 1 the top-right, 2 the bottom-left,
        // 3 the bottom-right; the bias is per position (0.1 … 0.4):
        //   window (0,0) = 1 2 / 4 5 → 1      window (0,1) = 2 3 / 5 6 → 3
        //   window (1,0) = 4 5 / 7 8 → 7      window (1,1) = 5 6 / 8 9 → 9
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "locally_connected2d", """{"filters": 1, "kernel": 2}""", new Shape(1, 3, 3));
        Assert.Equal(new Shape(4, 1, 4), layer.Parameters[0].Value.Shape);
        Assert.Equal(new Shape(1, 2, 2), layer.Parameters[1].Value.Shape);
        backend.CopyFromHost<double>([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], layer.Parameters[0].Value);
        backend.CopyFromHost<double>([0.1, 0.2, 0.3, 0.4], layer.Parameters[1].Value);
        using Tensor x = LayerHarness.Upload(backend, new Shape(1, 1, 3, 3), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        double[] y = LayerHarness.Download(layer.Forward(x, training: false));
        Assert.Equal([1.1, 3.2, 7.3, 9.4], y.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void ParameterCountIsPerPosition()
    {
        // 3 channels of 5×5, 2 filters of 3×3: 3×3 positions, each with 2 filters of 3·3·3 weights,
        // and a bias per filter and position: 9·2·27 + 2·3·3 = 486 + 18 = 504.
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "locally_connected2d", """{"filters": 2, "kernel": 3}""", new Shape(3, 5, 5), DataType.Float32);
        Assert.Equal(504, layer.Parameters.Sum(p => p.Value.ElementCount));
        Assert.Equal(new Shape(9, 2, 27), layer.Parameters[0].Value.Shape);
        double bound = 1 / Math.Sqrt(27);
        Assert.All(LayerHarness.Download(layer.Parameters[0].Value), v => Assert.InRange(v, -bound, bound));
    }

    [Theory]
    [InlineData("""{"filters": 2, "kernel": 3, "groups": 2}""", "layer 'locally_connected2d' (locally_connected2d): unknown argument(s) 'groups'")]
    [InlineData("""{"filters": 2, "kernel": [3, 3, 3]}""", "argument 'kernel' is [3,3,3]; expected an integer or a list of 2 integers, each >= 1")]
    [InlineData("""{"filters": 0, "kernel": 3}""", "argument 'filters' is 0; it must be in [1, ")]
    public void BadConfigurationsAreRefused(string args, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("locally_connected2d", args));
        Assert.Contains(message, error.Message);
    }
}
