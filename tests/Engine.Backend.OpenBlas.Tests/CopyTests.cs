namespace Engine.Backend.OpenBlas.Tests;

public sealed class CopyTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void Float32RoundTripsThroughHost()
    {
        float[] values = [.. Enumerable.Range(0, 1001).Select(i => (i * 0.37f) - 100)];
        using Tensor t = _backend.Allocate(new Shape(7, 11, 13), DataType.Float32);
        _backend.CopyFromHost<float>(values, t);
        var back = new float[values.Length];
        _backend.CopyToHost<float>(t, back);
        Assert.Equal(values, back);
    }

    [Fact]
    public void Float64RoundTripsThroughHostWithFullPrecision()
    {
        double[] values = [Math.PI, -Math.E, 1e-300, double.MaxValue, double.NaN, double.NegativeInfinity, 0.1];
        using Tensor t = _backend.Allocate(new Shape(values.Length), DataType.Float64);
        _backend.CopyFromHost<double>(values, t);
        var back = new double[values.Length];
        _backend.CopyToHost<double>(t, back);
        Assert.Equal(values, back);
    }

    [Theory]
    [InlineData(DataType.Float32)]
    [InlineData(DataType.Float64)]
    public void CopyBetweenTensorsIgnoresShapeButKeepsValues(DataType type)
    {
        double[] values = TestData.Random(new Random(1), 60, -1, 1, type);
        using Tensor source = TestData.Upload(_backend, values, new Shape(3, 4, 5), type);
        using Tensor destination = _backend.Allocate(new Shape(60), type);
        _backend.Copy(source, destination);
        Assert.Equal(values, TestData.Download(_backend, destination));
        _backend.Copy(source, source);
        Assert.Equal(values, TestData.Download(_backend, source));
    }

    [Fact]
    public void ReshapedViewSharesMemory()
    {
        using Tensor t = TestData.Upload(_backend, [1, 2, 3, 4, 5, 6], new Shape(2, 3), DataType.Float32);
        Tensor view = t.Reshape(new Shape(6));
        _backend.Unary(UnaryOp.Negate, view, view);
        Assert.Equal([-1, -2, -3, -4, -5, -6], TestData.Download(_backend, t));
        view.Dispose(); // a view frees nothing
        Assert.False(t.IsDisposed);
    }

    [Fact]
    public void AllocatedTensorsAreAlignedAndOwned()
    {
        using Tensor t = _backend.Allocate(new Shape(3, 5), DataType.Float64);
        CpuStorage storage = Assert.IsType<CpuStorage>(t.Storage);
        Assert.Equal(0, storage.Pointer % CpuStorage.Alignment);
        Assert.Equal(15 * 8, storage.ByteLength);
        Assert.Same(_backend, t.Backend);
        Assert.Equal(DataType.Float64, t.DataType);
    }

    [Fact]
    public void EmptyTensorsWork()
    {
        using Tensor t = _backend.Allocate(new Shape(0, 4));
        _backend.Fill(t, 1);
        _backend.Unary(UnaryOp.Exp, t, t);
        _backend.CopyFromHost<float>([], t);
        _backend.CopyToHost<float>(t, []);
        using Tensor sum = _backend.Allocate(new Shape(1));
        _backend.Sum(t, sum);
        Assert.Equal([0.0], TestData.Download(_backend, sum));
    }
}
