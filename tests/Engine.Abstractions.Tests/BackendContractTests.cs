using System.Reflection;

namespace Engine.Abstractions.Tests;

/// <summary>
/// The contract checks without any real backend: a stand-in backend (a proxy that only has a name)
/// owns host-less tensors, so what is tested is the SDK's own validation, the part every backend shares.
/// </summary>
public sealed class BackendContractTests
{
    /// <summary>An <see cref="IBackend"/> that answers only <see cref="IBackend.Name"/>.</summary>
    public class NamedBackend : DispatchProxy
    {
        internal string Name { get; set; } = "stub";

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == "get_Name" ? Name : throw new NotSupportedException(targetMethod?.Name);

        public static IBackend Create(string name)
        {
            IBackend backend = Create<IBackend, NamedBackend>();
            ((NamedBackend)(object)backend).Name = name;
            return backend;
        }
    }

    private sealed class NoMemory(long bytes, IBackend owner) : TensorStorage(bytes, owner)
    {
        protected override void Release()
        {
        }
    }

    private readonly IBackend _backend = NamedBackend.Create("stub");

    private Tensor Make(IBackend owner, DataType type, params int[] dims)
    {
        var shape = new Shape(dims);
        return new Tensor(owner, new NoMemory(shape.ElementCount * type.SizeInBytes(), owner), shape, type);
    }

    private Tensor Make(params int[] dims) => Make(_backend, DataType.Float32, dims);

    [Theory]
    [InlineData(false, false, 3, 4, 4, 2, 3, 2, 4)]
    [InlineData(true, false, 4, 3, 4, 2, 3, 2, 4)]
    [InlineData(false, true, 3, 4, 2, 4, 3, 2, 4)]
    [InlineData(true, true, 4, 3, 2, 4, 3, 2, 4)]
    public void GemmReturnsTheProductSizesForEveryTransposition(bool ta, bool tb, int ar, int ac, int br, int bc, int m, int n, int k)
    {
        Assert.Equal((m, n, k), BackendContract.Gemm(_backend, ta, tb, 1, Make(ar, ac), Make(br, bc), 0, Make(m, n)));
    }

    [Fact]
    public void ChannelOpsReturnTheirLayout()
    {
        Assert.Equal((2, 3, 20), BackendContract.AddChannelBias(_backend, Make(2, 3, 4, 5), Make(3)));
        Assert.Equal((5, 7, 1), BackendContract.SumChannels(_backend, Make(5, 7), Make(7), 0));
        Assert.Equal((2, 3, 4, 6), BackendContract.CopyChannels(_backend, Make(2, 3, 6), 1, Make(2, 4, 2, 3), 2, 2));
        Assert.Equal((6, 10), BackendContract.Softmax(_backend, Make(6, 10), Make(60), log: true));
    }

    [Fact]
    public void TensorsOfAnotherBackendAreRefusedByName()
    {
        IBackend other = NamedBackend.Create("gpu");
        var error = Assert.Throws<ArgumentException>(() => BackendContract.Unary(_backend, UnaryOp.Exp, Make(other, DataType.Float32, 4), Make(4)));
        Assert.Equal("Unary(Exp): x [4] belongs to backend 'gpu', not to this one; a backend computes only on tensors it allocated (Parameter 'x')", error.Message);
    }

    [Fact]
    public void AliasingRulesAreTheContracts()
    {
        Tensor x = Make(1, 2, 4, 4);
        // Pooling may not write its input; ScaleChannels may write x but not over its scale.
        var pool = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]));
        Tensor alias = new(_backend, x.Storage, new Shape(1, 2, 2, 2), DataType.Float32, ownsStorage: false);
        Assert.Equal("PoolingForward: x and y share memory, which this op does not allow",
            Assert.Throws<ArgumentException>(() => BackendContract.PoolingForward(_backend, pool, x, alias)).Message);
        Tensor scale = Make(2);
        BackendContract.ScaleChannels(_backend, x, scale, x);
        Tensor scaleAsY = new(_backend, scale.Storage, new Shape(1, 2, 1, 1), DataType.Float32, ownsStorage: false);
        Assert.Throws<ArgumentException>(() => BackendContract.ScaleChannels(_backend, Make(1, 2, 1, 1), scale, scaleAsY));
    }

    [Fact]
    public void ShapeErrorsNameTheOpTheOperandAndTheExpectedShape()
    {
        var conv = new ConvolutionGeometry([3, 3], [1, 1], [0, 0], [0, 0], [1, 1]);
        var error = Assert.Throws<ShapeException>(() => BackendContract.ConvolutionBackwardFilter(_backend, conv, Make(2, 3, 8, 8), Make(2, 4, 5, 6), Make(4, 3, 3, 3)));
        Assert.StartsWith("ConvolutionBackwardFilter: dy is [2, 4, 5, 6] but expected [2, 4, 6, 6] (batch 2, 4 channels from dw, output size from kernel 3x3", error.Message);
        var bn = Assert.Throws<ShapeException>(() => BackendContract.BatchNormForward(_backend, Make(1, 3), Make(3), Make(3), Make(3), Make(3), Make(3), Make(3), Make(1, 3), 1e-5, 0.1, training: true));
        Assert.Equal("BatchNormForward: x is [1, 3], which has 1 value(s) per channel; training needs at least 2 to estimate a variance", bn.Message);
    }
}
