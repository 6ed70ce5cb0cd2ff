namespace Engine.Layers.Standard.Tests;

public sealed class MaxoutLayerTests
{
    [Theory]
    [InlineData(new[] { 6 }, 3)]
    [InlineData(new[] { 4, 2, 3 }, 2)]
    public void GradientsMatchFiniteDifferences(int[] sample, int pieces)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, "maxout", $"{{\"pieces\": {pieces}}}", shape);
        const int batch = 3;
        GradientChecker.Check(layer, backend, shape, batch, DistinctValues.Shuffled(batch * (int)shape.ElementCount, 5));
    }

    [Fact]
    public void KnownAnswerGroupsConsecutiveChannels()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(6);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(1), [1, 5, 2, 3, 0, 4]);
        using ILayer three = LayerHarness.Build(backend, "maxout", "{\"pieces\": 3}", shape);
        using ILayer two = LayerHarness.Build(backend, "maxout", "{\"pieces\": 2}", shape);
        Tensor y = three.Forward(x, training: true);
        Assert.Equal(new Shape(1, 2), y.Shape);
        Assert.Equal([5, 4], LayerHarness.Download(y));          // max(1, 5, 2), max(3, 0, 4)
        Assert.Equal([5, 3, 4], LayerHarness.Download(two.Forward(x, training: false))); // max(1, 5), max(2, 3), max(0, 4)
        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 2), [10, 20]);
        Tensor dx = three.Backward(dy);
        Assert.Equal(new Shape(1, 6), dx.Shape);
        Assert.Equal([0, 10, 0, 0, 0, 20], LayerHarness.Download(dx));
    }

    [Fact]
    public void ConvolutionalInputsKeepTheirSpatialShape() =>
        Assert.Equal(new Shape(2, 5, 7), LayerHarness.Create("maxout", "{\"pieces\": 4}").InferOutputShape(new Shape(8, 5, 7)));

    [Fact]
    public void PiecesMustDivideTheChannels()
    {
        var e = Assert.Throws<ShapeException>(() => LayerHarness.Create("maxout", "{\"pieces\": 2}").InferOutputShape(new Shape(5, 3)));
        Assert.Contains("layer 'maxout' (maxout)", e.Message);
        Assert.Contains("5 input channels are not divisible by pieces 2", e.Message);
    }

    [Fact]
    public void PiecesAreRequiredAndPositive()
    {
        Assert.Contains("'pieces'", Assert.Throws<ConfigurationException>(() => LayerHarness.Create("maxout")).Message);
        Assert.Contains("'pieces' is 0", Assert.Throws<ConfigurationException>(() => LayerHarness.Create("maxout", "{\"pieces\": 0}")).Message);
    }
}
