using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The pooled inference convolution (<see cref="OpenBlasBackend.TryConvolutionForwardPooled"/>,
/// <see cref="ConvolutionPool"/>) against the two calls it replaces, the reference path: the
/// convolution with its epilogue, then 2×2 stride-2 max pooling. Bit for bit (compared as bit
/// patterns), on each kernel that takes it, twice (run to run); and the cases it must decline.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed class ConvolutionPoolTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose()
    {
        ConvolutionPool.Enabled = true;
        FilterVectorConvolution.Enabled = true;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int, bool> Shapes => new()
    {
        // batch, channels, size, filters, kernel, pad, filter-vector kernel on
        { 5, 1, 28, 6, 5, 2, true },    // LeNet conv1: direct kernel, two-vector rows through the band
        { 7, 6, 14, 16, 5, 0, true },   // LeNet conv2: filters along the vector, pooled from the accumulators
        { 7, 6, 14, 16, 5, 0, false },  // the same on the direct kernel: paired one-vector rows
        { 3, 3, 12, 11, 3, 1, true },   // a partial block of 8, rows paired only inside, 12 wide
        { 2, 2, 20, 5, 3, 1, true },    // 20 wide: a 4-lane second vector, a partial block of 6
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PooledEqualsConvolutionThenPooling(int batch, int channels, int size, int filters, int kernel, int pad, bool filterVector)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the direct kernels never run on this CPU
        }
        FilterVectorConvolution.Enabled = filterVector;
        var geometry = new ConvolutionGeometry([kernel, kernel], [1, 1], [pad, pad], [pad, pad], [1, 1]);
        int output = size + 2 * pad - kernel + 1;
        using Tensor full = _backend.Allocate(new Shape(batch, filters, output, output));
        var rng = new Random(23);
        using Tensor x = Upload(new Shape(batch, channels, size, size), rng, 1), w = Upload(new Shape(filters, channels, kernel, kernel), rng, 0.3);
        using Tensor scale = Upload(new Shape(filters), rng, 1.5), shift = Upload(new Shape(filters), rng, 0.5);
        var pool = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]));
        var pooledShape = new Shape(batch, filters, output / 2, output / 2);
        using Tensor separate = _backend.Allocate(pooledShape), fused = _backend.Allocate(pooledShape), again = _backend.Allocate(pooledShape);

        ConvolutionPool.Enabled = false;
        Assert.False(_backend.TryConvolutionForwardPooled(geometry, x, w, scale, shift, Activation.Relu, 0, pool, fused)); // the switch declines
        _backend.ConvolutionForwardWithEpilogue(geometry, x, w, full, scale, shift, Activation.Relu);
        _backend.PoolingForward(pool, full, separate);
        ConvolutionPool.Enabled = true;
        Assert.True(_backend.TryConvolutionForwardPooled(geometry, x, w, scale, shift, Activation.Relu, 0, pool, fused));
        Assert.True(_backend.TryConvolutionForwardPooled(geometry, x, w, scale, shift, Activation.Relu, 0, pool, again));

        float[] expected = separate.ToArray(), actual = fused.ToArray();
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(actual, again.ToArray());
        Assert.Contains(expected, v => v > 0); // the case computes something
        Assert.Contains(expected, v => v == 0); // and ReLU clips whole windows
    }

    [Fact]
    public void DeclinesWhatItDoesNotCompute()
    {
        var geometry = new ConvolutionGeometry([5, 5], [1, 1], [2, 2], [2, 2], [1, 1]);
        var max2 = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]));
        var average2 = new PoolingGeometry(PoolingMode.Average, max2.Window);
        var max3 = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([3, 3], [2, 2], [1, 1], [1, 1], [1, 1]));
        var rng = new Random(5);
        using Tensor x = Upload(new Shape(2, 1, 28, 28), rng, 1), odd = Upload(new Shape(2, 1, 27, 27), rng, 1);
        using Tensor w = Upload(new Shape(6, 1, 5, 5), rng, 0.3), scale = Upload(new Shape(6), rng, 1), shift = Upload(new Shape(6), rng, 1);
        using Tensor y = _backend.Allocate(new Shape(2, 6, 14, 14)), y13 = _backend.Allocate(new Shape(2, 6, 13, 13));
        float[] before = y.ToArray();
        Assert.False(_backend.TryConvolutionForwardPooled(geometry, x, w, scale, shift, null, 0, max2, y));                // no ReLU
        Assert.False(_backend.TryConvolutionForwardPooled(geometry, x, w, scale, shift, Activation.Tanh, 0, max2, y));     // another activation
        Assert.False(_backend.TryConvolutionForwardPooled(geometry, x, w, scale, shift, Activation.Relu, 0, average2, y)); // average pooling
        Assert.False(_backend.TryConvolutionForwardPooled(geometry, x, w, scale, shift, Activation.Relu, 0, max3, y13));   // another window
        Assert.False(_backend.TryConvolutionForwardPooled(geometry, odd, w, scale, shift, Activation.Relu, 0, max2, y13)); // odd output
        Assert.Equal(before, y.ToArray()); // declining writes nothing
        using Tensor wrong = _backend.Allocate(new Shape(2, 6, 28, 28));
        if (Avx512F.IsSupported)
        {
            Assert.Throws<ArgumentException>(() => _backend.TryConvolutionForwardPooled(geometry, x, w, scale, shift, Activation.Relu, 0, max2, wrong));
        }
    }

    private Tensor Upload(Shape shape, Random rng, double range)
    {
        Tensor t = _backend.Allocate(shape);
        _backend.CopyFromHost<float>(Enumerable.Range(0, (int)shape.ElementCount).Select(_ => (float)((rng.NextDouble() * 2 - 1) * range)).ToArray(), t);
        return t;
    }
}
