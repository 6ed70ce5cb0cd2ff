namespace Engine.Layers.Standard.Tests;

/// <summary>Concat, add and flatten: known answers, shapes and errors (their gradients are also checked inside a graph in Engine.Core.Tests).</summary>
public sealed class MergeAndReshapeLayerTests
{
    [Fact]
    public void ConcatStacksChannelsAndSplitsTheGradientBack()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shapes = new[] { new Shape(1, 2), new Shape(2, 2) };
        var layer = (IMergeLayer)LayerHarness.Create("concat");
        using var _ = layer;
        layer.Initialize(new LayerContext(backend, shapes[0], 1, DataType.Float64) { InputShapes = shapes });
        Assert.Equal(new Shape(3, 2), layer.InferOutputShape(shapes));
        // Batch of 2: a = [[1,2]], [[3,4]]; b = [[5,6],[7,8]], [[9,10],[11,12]].
        using Tensor a = LayerHarness.Upload(backend, new Shape(2, 1, 2), [1, 2, 3, 4]);
        using Tensor b = LayerHarness.Upload(backend, new Shape(2, 2, 2), [5, 6, 7, 8, 9, 10, 11, 12]);
        Assert.Equal([1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12], LayerHarness.Download(layer.Forward([a, b], training: true)));
        using Tensor dy = LayerHarness.Upload(backend, new Shape(2, 3, 2), Enumerable.Range(1, 12).Select(i => (double)i).ToArray());
        var grads = layer.BackwardAll(dy);
        Assert.Equal([1, 2, 7, 8], LayerHarness.Download(grads[0]));
        Assert.Equal([3, 4, 5, 6, 9, 10, 11, 12], LayerHarness.Download(grads[1]));
    }

    [Fact]
    public void ConcatRefusesMismatchedSpatialSizes()
    {
        var layer = (IMergeLayer)LayerHarness.Create("concat", name: "cat");
        var e = Assert.Throws<ShapeException>(() => layer.InferOutputShape([new Shape(2, 4, 4), new Shape(3, 4, 5)]));
        Assert.Contains("layer 'cat' (concat): input 2 has shape [3, 4, 5] but input 1 has [2, 4, 4]", e.Message);
    }

    [Fact]
    public void AddSumsAndPassesTheGradientToEveryInput()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shapes = new[] { new Shape(3), new Shape(3), new Shape(3) };
        var layer = (IMergeLayer)LayerHarness.Create("add");
        using var _ = layer;
        layer.Initialize(new LayerContext(backend, shapes[0], 1, DataType.Float64) { InputShapes = shapes });
        using Tensor a = LayerHarness.Upload(backend, new Shape(1, 3), [1, 2, 3]);
        using Tensor b = LayerHarness.Upload(backend, new Shape(1, 3), [10, 20, 30]);
        using Tensor c = LayerHarness.Upload(backend, new Shape(1, 3), [-1, -1, -1]);
        Assert.Equal([10, 21, 32], LayerHarness.Download(layer.Forward([a, b, c], training: true)));
        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 3), [0.5, -2, 4]);
        Assert.All(layer.BackwardAll(dy), g => Assert.Equal([0.5, -2, 4], LayerHarness.Download(g)));
        var e = Assert.Throws<ShapeException>(() => layer.InferOutputShape([new Shape(3), new Shape(4)]));
        Assert.Contains("an element-wise add needs equal shapes", e.Message);
    }

    [Fact]
    public void FlattenIsAViewWithTheSameValues()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "flatten", "{}", new Shape(2, 2, 3));
        Assert.Equal(new Shape(12), layer.InferOutputShape(new Shape(2, 2, 3)));
        double[] values = LayerHarness.Random(24, 3);
        using Tensor x = LayerHarness.Upload(backend, new Shape(2, 2, 2, 3), values);
        Tensor y = layer.Forward(x, training: true);
        Assert.Equal(new Shape(2, 12), y.Shape);
        Assert.Same(x.Storage, y.Storage);
        Assert.Equal(values, LayerHarness.Download(y));
        Assert.Equal(x.Shape, layer.Backward(y).Shape);
    }
}
