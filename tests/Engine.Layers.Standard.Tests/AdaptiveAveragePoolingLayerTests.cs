namespace Engine.Layers.Standard.Tests;

public sealed class AdaptiveAveragePoolingLayerTests
{
    [Theory]
    [InlineData(new[] { 2, 5, 7 }, "3")]          // uneven, overlapping windows: the GEMM path
    [InlineData(new[] { 2, 4, 6 }, "[2, 3]")]     // windows 2×2: a plain average pool
    [InlineData(new[] { 1, 2, 3 }, "[3, 4]")]     // more outputs than inputs: windows repeat elements
    public void GradientsMatchFiniteDifferences(int[] sample, string outputSize)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, "adaptive_avg_pool2d", $"{{\"output_size\": {outputSize}}}", shape);
        GradientChecker.Check(layer, backend, shape, 2);
    }

    [Theory]
    [InlineData(DataType.Float64)]
    [InlineData(DataType.Float32)]
    public void UnevenWindowsKnownAnswers(DataType dataType)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(1, 3, 3);
        using ILayer layer = LayerHarness.Build(backend, "adaptive_avg_pool2d", "{\"output_size\": 2}", shape, dataType);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(1), [1, 2, 3, 4, 5, 6, 7, 8, 9], dataType);
        // 3 → 2: cell 0 takes rows [0, ceil(3/2)) = {0, 1}, cell 1 rows [floor(3/2), 3) = {1, 2}; likewise columns.
        // (1+2+4+5)/4, (2+3+5+6)/4, (4+5+7+8)/4, (5+6+8+9)/4.
        Assert.Equal([3, 4, 6, 7], LayerHarness.Download(layer.Forward(x, training: true)));
        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 1, 2, 2), [1, 2, 3, 4], dataType);
        // Each element gets dy/4 from every window holding it: the centre is in all four, (1+2+3+4)/4.
        Assert.Equal([0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1], LayerHarness.Download(layer.Backward(dy)));
    }

    [Fact]
    public void WindowsOfDifferentSizesAlongOneAxis()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(1, 2, 5);
        using ILayer layer = LayerHarness.Build(backend, "adaptive_avg_pool2d", "{\"output_size\": [1, 3]}", shape);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(1), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        // 5 → 3: columns [0, 2), [1, 4), [3, 5) (2, 3 and 2 wide); both rows in each.
        // (1+2+6+7)/4, (2+3+4+7+8+9)/6, (4+5+9+10)/4.
        Assert.Equal([4, 5.5, 7], LayerHarness.Download(layer.Forward(x, training: false)));
    }

    [Fact]
    public void EvenWindowsRunAsAPlainAveragePool()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(2, 4, 4);
        using ILayer layer = LayerHarness.Build(backend, "adaptive_avg_pool2d", "{\"output_size\": 2}", shape);
        OpDescriptor op = Assert.Single(layer.RequiredOps([shape], DataType.Float64));
        Assert.Equal(BackendOp.Pooling, op.Op);
        Assert.Equal([2, 2], op.Pooling!.Window.Kernel);
        Assert.Equal([2, 2], op.Pooling.Window.Stride);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(1), Enumerable.Range(1, 32).Select(i => (double)i).ToArray());
        Assert.Equal([3.5, 5.5, 11.5, 13.5, 19.5, 21.5, 27.5, 29.5], LayerHarness.Download(layer.Forward(x, training: false)));
        // 6×6 → 6×6 is the identity.
        using ILayer same = LayerHarness.Build(backend, "adaptive_avg_pool2d", "{\"output_size\": 6}", new Shape(1, 6, 6));
        double[] values = LayerHarness.Random(36, 3);
        using Tensor y = LayerHarness.Upload(backend, new Shape(1, 1, 6, 6), values);
        Assert.Equal(values, LayerHarness.Download(same.Forward(y, training: false)));
    }

    [Fact]
    public void UnevenWindowsNeedOnlyGemm()
    {
        var shape = new Shape(4, 13, 13);
        ILayer layer = LayerHarness.Create("adaptive_avg_pool2d", "{\"output_size\": 6}");
        Assert.Equal(new Shape(4, 6, 6), layer.InferOutputShape(shape));
        Assert.Contains(layer.RequiredOps([shape], DataType.Float32), op => op.Op == BackendOp.Gemm);
        Assert.DoesNotContain(layer.RequiredOps([shape], DataType.Float32), op => op.Op == BackendOp.Pooling);
    }

    [Theory]
    [InlineData(0, 13, 6, 0, 3)]   // floor(0) … ceil(13/6) = 3
    [InlineData(1, 13, 6, 2, 5)]   // floor(13/6) = 2 … ceil(26/6) = 5
    [InlineData(5, 13, 6, 10, 13)] // floor(65/6) = 10 … 13
    [InlineData(2, 2, 3, 1, 2)]    // upsampling: floor(4/3) = 1 … ceil(6/3) = 2
    public void WindowsFollowPyTorch(int index, int input, int output, int start, int end) =>
        Assert.Equal((start, end), AdaptiveAveragePoolingLayer.Window(index, input, output));

    [Theory]
    [InlineData("{}", "missing required argument 'output_size'")]
    [InlineData("{\"output_size\": 0}", "'output_size'")]
    [InlineData("{\"output_size\": [1, 2, 3]}", "'output_size'")]
    public void BadArgumentsAreNamed(string args, string detail)
    {
        var e = Assert.ThrowsAny<EngineException>(() => LayerHarness.Create("adaptive_avg_pool2d", args));
        Assert.Contains("adaptive_avg_pool2d", e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void InputsThatAreNotPlanesAreRefused()
    {
        var e = Assert.Throws<ShapeException>(() => LayerHarness.Create("adaptive_avg_pool2d", "{\"output_size\": 2}").InferOutputShape(new Shape(10)));
        Assert.Contains("layer 'adaptive_avg_pool2d' (adaptive_avg_pool2d)", e.Message);
        Assert.Contains("C×H×W", e.Message);
    }
}
