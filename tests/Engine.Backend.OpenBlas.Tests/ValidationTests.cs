namespace Engine.Backend.OpenBlas.Tests;

public sealed class ValidationTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    private sealed class ForeignStorage(long bytes) : TensorStorage(bytes)
    {
        protected override void Release()
        {
        }
    }

    [Fact]
    public void GemmNamesTheInnerDimensionMismatch()
    {
        using Tensor a = _backend.Allocate(new Shape(3, 4));
        using Tensor b = _backend.Allocate(new Shape(5, 2));
        using Tensor c = _backend.Allocate(new Shape(3, 2));
        var error = Assert.Throws<ShapeException>(() => _backend.Gemm(false, false, 1, a, b, 0, c));
        Assert.Contains("Gemm: op(A) is 3x4 but op(B) is 5x2 (inner dimensions 4 and 5 differ)", error.Message);
        Assert.Contains("[3, 4]", error.Message);
        Assert.Contains("[5, 2]", error.Message);
    }

    [Fact]
    public void GemmNamesTheTransposedShapes()
    {
        using Tensor a = _backend.Allocate(new Shape(4, 3));
        using Tensor b = _backend.Allocate(new Shape(2, 5));
        using Tensor c = _backend.Allocate(new Shape(3, 2));
        var error = Assert.Throws<ShapeException>(() => _backend.Gemm(true, true, 1, a, b, 0, c));
        Assert.Contains("Gemm: op(A) is 3x4 but op(B) is 5x2 (inner dimensions 4 and 5 differ)", error.Message);
        Assert.Contains("transposed", error.Message);
    }

    [Fact]
    public void GemmNamesAWrongOutputShape()
    {
        using Tensor a = _backend.Allocate(new Shape(3, 4));
        using Tensor b = _backend.Allocate(new Shape(4, 2));
        using Tensor c = _backend.Allocate(new Shape(2, 3));
        var error = Assert.Throws<ShapeException>(() => _backend.Gemm(false, false, 1, a, b, 0, c));
        Assert.Contains("Gemm", error.Message);
        Assert.Contains("3x2", error.Message);
        Assert.Contains("[2, 3]", error.Message);
    }

    [Fact]
    public void GemmRefusesCSharingMemoryWithAnOperand()
    {
        using Tensor a = _backend.Allocate(new Shape(3, 3));
        using Tensor b = _backend.Allocate(new Shape(3, 3));
        Assert.Contains("share memory", Assert.Throws<ArgumentException>(() => _backend.Gemm(false, false, 1, a, b, 0, a)).Message);
    }

    [Fact]
    public void MixedDataTypesAreRefused()
    {
        using Tensor a = _backend.Allocate(new Shape(3, 3), DataType.Float32);
        using Tensor b = _backend.Allocate(new Shape(3, 3), DataType.Float64);
        using Tensor c = _backend.Allocate(new Shape(3, 3), DataType.Float32);
        var error = Assert.Throws<ArgumentException>(() => _backend.Gemm(false, false, 1, a, b, 0, c));
        Assert.Contains("Gemm", error.Message);
        Assert.Contains("Float64", error.Message);
        Assert.Throws<ArgumentException>(() => _backend.Binary(BinaryOp.Add, a, b, c));
        Assert.Throws<ArgumentException>(() => _backend.CopyToHost<double>(a, new double[9]));
    }

    [Fact]
    public void ElementCountMismatchNamesOpAndShapes()
    {
        using Tensor x = _backend.Allocate(new Shape(2, 3));
        using Tensor y = _backend.Allocate(new Shape(7));
        var error = Assert.Throws<ShapeException>(() => _backend.Unary(UnaryOp.Exp, x, y));
        Assert.Contains("Unary(Exp)", error.Message);
        Assert.Contains("[2, 3]", error.Message);
        Assert.Contains("[7]", error.Message);
        Assert.Contains("Binary(Max)", Assert.Throws<ShapeException>(() => _backend.Binary(BinaryOp.Max, x, x, y)).Message);
        Assert.Contains("Axpby", Assert.Throws<ShapeException>(() => _backend.Axpby(1, x, 1, y)).Message);
        Assert.Contains("Softmax", Assert.Throws<ShapeException>(() => _backend.Softmax(x, y)).Message);
        Assert.Contains("ActivationBackward(Tanh)", Assert.Throws<ShapeException>(() => _backend.ActivationBackward(Activation.Tanh, x, x, x, y)).Message);
        Assert.Contains("Copy", Assert.Throws<ShapeException>(() => _backend.Copy(x, y)).Message);
        Assert.Contains("CopyFromHost", Assert.Throws<ShapeException>(() => _backend.CopyFromHost<float>(new float[5], x)).Message);
        Assert.Contains("CopyToHost", Assert.Throws<ShapeException>(() => _backend.CopyToHost<float>(x, new float[5])).Message);
    }

    [Fact]
    public void ChannelOpsCheckTheirShapes()
    {
        using Tensor x = _backend.Allocate(new Shape(2, 3, 4, 4));
        using Tensor wrong = _backend.Allocate(new Shape(4));
        using Tensor flat = _backend.Allocate(new Shape(12));
        var error = Assert.Throws<ShapeException>(() => _backend.AddChannelBias(x, wrong));
        Assert.Contains("AddChannelBias", error.Message);
        Assert.Contains("3 channels", error.Message);
        Assert.Contains("[4]", error.Message);
        Assert.Contains("SumChannels", Assert.Throws<ShapeException>(() => _backend.SumChannels(x, wrong)).Message);
        Assert.Contains("at least two dimensions", Assert.Throws<ShapeException>(() => _backend.AddChannelBias(flat, wrong)).Message);
        Assert.Contains("one-element", Assert.Throws<ShapeException>(() => _backend.Sum(x, wrong)).Message);
    }

    [Fact]
    public void TensorFromAnotherBackendInstanceIsRefused()
    {
        using var other = new OpenBlasBackend();
        using Tensor mine = _backend.Allocate(new Shape(4));
        using Tensor theirs = other.Allocate(new Shape(4));
        var error = Assert.Throws<ArgumentException>(() => _backend.Unary(UnaryOp.Relu, theirs, mine));
        Assert.Contains("another openblas backend instance", error.Message);
        Assert.Contains("Unary(Relu)", error.Message);
        Assert.Throws<ArgumentException>(() => _backend.Copy(mine, theirs));
        Assert.Throws<ArgumentException>(() => _backend.CopyToHost<float>(theirs, new float[4]));
    }

    [Fact]
    public void TensorWithForeignStorageIsRefused()
    {
        using var tensor = new Tensor(_backend, new ForeignStorage(16), new Shape(4), DataType.Float32);
        using Tensor mine = _backend.Allocate(new Shape(4));
        Assert.Throws<ArgumentException>(() => _backend.Fill(tensor, 1));
        Assert.Throws<ArgumentException>(() => _backend.Binary(BinaryOp.Add, mine, tensor, mine));
    }

    [Fact]
    public void DisposedTensorThrowsObjectDisposed()
    {
        Tensor x = _backend.Allocate(new Shape(3, 3));
        Tensor view = x.Reshape(new Shape(9));
        using Tensor y = _backend.Allocate(new Shape(3, 3));
        x.Dispose();
        x.Dispose(); // twice is harmless
        Assert.True(x.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => _backend.Unary(UnaryOp.Exp, x, y));
        Assert.Throws<ObjectDisposedException>(() => _backend.Unary(UnaryOp.Exp, view, view));
        Assert.Throws<ObjectDisposedException>(() => _backend.Gemm(false, false, 1, y, x, 0, y));
        Assert.Throws<ObjectDisposedException>(() => _backend.CopyToHost<float>(x, new float[9]));
        Assert.Throws<ObjectDisposedException>(() => _backend.FillRandom(x, RandomDistribution.Normal, 0, 1, 1));
    }

    [Fact]
    public void DisposedBackendRefusesWork()
    {
        var backend = new OpenBlasBackend();
        using Tensor t = backend.Allocate(new Shape(2));
        backend.Dispose();
        Assert.Throws<ObjectDisposedException>(() => backend.Fill(t, 1));
        Assert.Throws<ObjectDisposedException>(() => backend.Allocate(new Shape(2)));
    }

    [Fact]
    public void UnknownEnumValuesAreRefused()
    {
        using Tensor t = _backend.Allocate(new Shape(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => _backend.Unary((UnaryOp)99, t, t));
        Assert.Throws<ArgumentOutOfRangeException>(() => _backend.Binary((BinaryOp)99, t, t, t));
        Assert.Throws<ArgumentOutOfRangeException>(() => _backend.ActivationBackward((Activation)99, t, t, t, t));
        Assert.Throws<ArgumentOutOfRangeException>(() => _backend.Allocate(new Shape(2), (DataType)7));
    }
}
