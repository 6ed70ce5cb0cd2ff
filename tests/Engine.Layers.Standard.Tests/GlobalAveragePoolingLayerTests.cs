namespace Engine.Layers.Standard.Tests;

public sealed class GlobalAveragePoolingLayerTests
{
    [Theory]
    [InlineData(new[] { 3, 2, 3 })]
    [InlineData(new[] { 2, 4 })]
    [InlineData(new[] { 2, 2, 2, 2 })]
    public void GradientsMatchFiniteDifferences(int[] sample)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, "global_avg_pool", "{}", shape);
        GradientChecker.Check(layer, backend, shape, 3);
    }

    [Fact]
    public void KnownAnswerIsTheChannelMean()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(2, 2, 2);
        using ILayer layer = LayerHarness.Build(backend, "global_avg_pool", "{}", shape);
        Assert.Equal(new Shape(2), layer.InferOutputShape(shape));
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(1), [1, 2, 3, 4, 10, 20, 30, 40]);
        Tensor y = layer.Forward(x, training: true);
        Assert.Equal(new Shape(1, 2), y.Shape);
        Assert.Equal([2.5, 25], LayerHarness.Download(y));
        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 2), [4, 8]);
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2], LayerHarness.Download(layer.Backward(dy)));
    }

    [Fact]
    public void InputsWithoutSpatialAxesAreRefused()
    {
        var e = Assert.Throws<ShapeException>(() => LayerHarness.Create("global_avg_pool").InferOutputShape(new Shape(10)));
        Assert.Contains("layer 'global_avg_pool' (global_avg_pool)", e.Message);
        Assert.Contains("[10]", e.Message);
    }
}
