namespace Engine.Layers.Standard.Tests;

public sealed class ChannelPaddingLayerTests
{
    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(2, 3, 2);
        using ILayer layer = LayerHarness.Build(backend, "pad_channels", "{\"before\": 1, \"after\": 2}", shape);
        GradientChecker.Check(layer, backend, shape, 2);
    }

    [Fact]
    public void KnownAnswers()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(2, 1, 2);
        using ILayer layer = LayerHarness.Build(backend, "pad_channels", "{\"before\": 1, \"after\": 1}", shape);
        Assert.Equal(new Shape(4, 1, 2), layer.InferOutputShape(shape));
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(2), [1, 2, 3, 4, 5, 6, 7, 8]);
        // Per sample: a zero channel, the two input channels, a zero channel.
        Assert.Equal([0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0], LayerHarness.Download(layer.Forward(x, training: true)));
        using Tensor dy = LayerHarness.Upload(backend, new Shape(2, 4, 1, 2), Enumerable.Range(1, 16).Select(i => (double)i).ToArray());
        Assert.Equal([3, 4, 5, 6, 11, 12, 13, 14], LayerHarness.Download(layer.Backward(dy)));
    }

    [Fact]
    public void NegativeCountsAreNamed()
    {
        var e = Assert.ThrowsAny<EngineException>(() => LayerHarness.Create("pad_channels", "{\"after\": -1}"));
        Assert.Contains("pad_channels", e.Message);
        Assert.Contains("'after'", e.Message);
    }
}
