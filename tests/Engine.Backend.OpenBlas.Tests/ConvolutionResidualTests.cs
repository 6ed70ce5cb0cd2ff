using Engine.Tests;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// A residual block's last convolution with its batch norm, the shortcut's sum and the ReLU in one call
/// (<see cref="OpenBlasBackend.TryConvolutionForwardResidual"/>) against the reference path, the separate
/// calls it replaces: the convolution with its epilogue but no activation, an element-wise add of the
/// residual, the activation. Bit for bit, on shapes that take each forward path (the padded direct kernel
/// with the sum in registers, Winograd and the batched product with it in the epilogue pass, one GEMM per
/// sample, float64), at 1 and 2 threads, for ReLU, none and an activation applied after the pass (tanh).
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed class ConvolutionResidualTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();
    private readonly bool? _forced = OpenBlasBackend.ResidualForced;
    private readonly int _width = WorkerPool.Width;

    public void Dispose()
    {
        OpenBlasBackend.ResidualForced = _forced;
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int, bool> Shapes => new()
    {
        // batch, channels, size, filters, pad, stride, float64
        { 3, 16, 32, 16, 1, 1, false },   // ResNet-20 stage 1: the padded direct kernel
        { 3, 64, 8, 64, 1, 1, false },    // stage 3: one tile a plane
        { 2, 16, 9, 18, 1, 1, false },    // 81 positions (a 1-lane last vector), a 2-filter tail
        { 3, 16, 32, 32, 1, 2, false },   // stride 2 (a shortcut of the output's shape)
        { 1, 64, 56, 64, 1, 1, false },   // ResNet-18 stage 1: Winograd, the whole-batch epilogue pass
        { 4, 256, 7, 256, 1, 1, false },  // ResNet-18 stage 4: several samples per product
        { 2, 16, 42, 24, 0, 1, false },   // 1600 positions: one GEMM per sample
        { 2, 16, 10, 16, 1, 1, true },    // float64
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsTheSeparateCallsBitForBit(int batch, int channels, int size, int filters, int pad, int stride, bool float64)
    {
        DataType type = float64 ? DataType.Float64 : DataType.Float32;
        var geometry = new ConvolutionGeometry([3, 3], [stride, stride], [pad, pad], [pad, pad], [1, 1]);
        int output = (size + 2 * pad - 3) / stride + 1;
        var rng = new Random(size * 37 + channels);
        using Tensor x = Upload(new Shape(batch, channels, size, size), rng, 1, type);
        using Tensor w = Upload(new Shape(filters, channels, 3, 3), rng, 0.3, type);
        using Tensor scale = Upload(new Shape(filters), rng, 1.5, type);
        using Tensor shift = Upload(new Shape(filters), rng, 0.5, type);
        var yShape = new Shape(batch, filters, output, output);
        using Tensor residual = Upload(yShape, rng, 2, type);
        using Tensor separate = _backend.Allocate(yShape, type), fused = _backend.Allocate(yShape, type);
        foreach (int width in new[] { 1, 2 })
        {
            WorkerPool.Width = width;
            foreach ((Activation? activation, double alpha) in new (Activation?, double)[] { (Activation.Relu, 0), (null, 0), (Activation.Tanh, 0) })
            {
                _backend.ConvolutionForwardWithEpilogue(geometry, x, w, separate, scale, shift);
                double[] affine = HostTensors.Download(separate);
                _backend.Binary(BinaryOp.Add, separate, residual, separate);
                if (activation is { } f)
                {
                    _backend.ActivationForward(f, separate, separate, alpha);
                }
                Assert.True(_backend.TryConvolutionForwardResidual(geometry, x, w, scale, shift, residual, activation, alpha, fused));
                double[] expected = HostTensors.Download(separate), actual = HostTensors.Download(fused);
                Assert.Equal(expected, actual);
                Assert.Contains(expected, v => v > 0);
                Assert.NotEqual(affine, actual); // the residual was added
            }
        }
    }

    [Fact]
    public void DeclinesWithTheSwitchOffOnLeNetKernelsAndOnOverlap()
    {
        var geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        var rng = new Random(3);
        using Tensor x = Upload(new Shape(2, 16, 16, 16), rng, 1, DataType.Float32);
        using Tensor w = Upload(new Shape(16, 16, 3, 3), rng, 0.3, DataType.Float32);
        using Tensor scale = Upload(new Shape(16), rng, 1, DataType.Float32), shift = Upload(new Shape(16), rng, 1, DataType.Float32);
        using Tensor residual = Upload(new Shape(2, 16, 16, 16), rng, 1, DataType.Float32);
        using Tensor y = _backend.Allocate(new Shape(2, 16, 16, 16));
        OpenBlasBackend.ResidualForced = false;
        Assert.False(_backend.TryConvolutionForwardResidual(geometry, x, w, scale, shift, residual, Activation.Relu, 0, y));
        OpenBlasBackend.ResidualForced = null;
        Assert.False(_backend.TryConvolutionForwardResidual(geometry, x, w, scale, shift, y, Activation.Relu, 0, y)); // the residual is y

        // LeNet's conv1 (1 channel, 5×5): a kernel with its own epilogue in registers, which has no residual.
        var lenet = new ConvolutionGeometry([5, 5], [1, 1], [2, 2], [2, 2], [1, 1]);
        using Tensor image = Upload(new Shape(4, 1, 28, 28), rng, 1, DataType.Float32);
        using Tensor w1 = Upload(new Shape(6, 1, 5, 5), rng, 0.3, DataType.Float32);
        using Tensor s6 = Upload(new Shape(6), rng, 1, DataType.Float32), b6 = Upload(new Shape(6), rng, 1, DataType.Float32);
        using Tensor r6 = Upload(new Shape(4, 6, 28, 28), rng, 1, DataType.Float32);
        using Tensor y6 = _backend.Allocate(new Shape(4, 6, 28, 28));
        Assert.False(_backend.TryConvolutionForwardResidual(lenet, image, w1, s6, b6, r6, Activation.Relu, 0, y6));
        Assert.Throws<ArgumentException>(() => _backend.TryConvolutionForwardResidual(geometry, x, w, scale, shift, r6, Activation.Relu, 0, y));
    }

    private Tensor Upload(Shape shape, Random rng, double range, DataType type)
    {
        double[] values = Enumerable.Range(0, (int)shape.ElementCount).Select(_ => (rng.NextDouble() * 2 - 1) * range).ToArray();
        return HostTensors.Upload(_backend, shape, values, type);
    }
}
