namespace Engine.Layers.Standard.Tests;

public sealed class DenseLayerTests
{
    [Theory]
    [InlineData(5, "{\"units\": 3}")]
    [InlineData(1, "{\"units\": 4, \"bias\": false}")]
    public void GradientsMatchFiniteDifferences(int batch, string args)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "dense", args, new Shape(2, 3, 1));
        GradientChecker.Check(layer, backend, new Shape(2, 3, 1), batch);
    }

    [Fact]
    public void KnownAnswerAndParameterCount()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "dense", "{\"units\": 2}", new Shape(3));
        Assert.Equal(3 * 2 + 2, layer.Parameters.Sum(p => p.Value.ElementCount));
        backend.CopyFromHost<double>([1, 2, 3, 4, 5, 6], layer.Parameters[0].Value); // W = [[1,2,3],[4,5,6]]
        backend.CopyFromHost<double>([0.5, -1], layer.Parameters[1].Value);
        using Tensor x = LayerHarness.Upload(backend, new Shape(1, 3), [1, 0, -1]);
        Assert.Equal([1 - 3 + 0.5, 4 - 6 - 1], LayerHarness.Download(layer.Forward(x, training: false)));
    }
}
