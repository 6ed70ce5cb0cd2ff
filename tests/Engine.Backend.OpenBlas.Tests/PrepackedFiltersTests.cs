namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Filters kept packed in the packed GEMM's panel layout between calls (<see cref="PackedGemm.PackWholeA"/>, helper
/// <c>wino28</c>): the whole-A packing gives <see cref="PackedGemm.Multiply"/>'s bits; Winograd's transformed filters
/// (<c>ENGINE_WINOGRAD_PREPACK</c>) and the batched product's filters (<c>ENGINE_BATCHED_PREPACK</c>) kept packed give the
/// bits of packing them every call, on every call of an inference loop; and the deep small-plane layers that
/// <c>ENGINE_WINOGRAD_DEEP</c> sends to Winograd stay within Winograd's tolerance of a double-precision reference,
/// with the same bits at one and two threads (their blocks follow the thread count).
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class PrepackedFiltersTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();
    private readonly int _bits = PackedGemm.Bits;
    private readonly bool? _winograd = WinogradConvolution.Forced, _batched = BatchedConvolution.Forced, _direct = PaddedDirectConvolution.Forced;
    private readonly bool _winogradPrepack = WinogradConvolution.Prepack, _batchedPrepack = BatchedConvolution.Prepack, _deep = WinogradConvolution.Deep;
    private readonly int _width = WorkerPool.Width;

    public void Dispose()
    {
        PackedGemm.Bits = _bits;
        (WinogradConvolution.Forced, BatchedConvolution.Forced, PaddedDirectConvolution.Forced) = (_winograd, _batched, _direct);
        (WinogradConvolution.Prepack, BatchedConvolution.Prepack, WinogradConvolution.Deep) = (_winogradPrepack, _batchedPrepack, _deep);
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    [Theory]
    [InlineData(256)]
    [InlineData(512)]
    public void WholeAPackingGivesTheBitsOfPackingPerCall(int bits)
    {
        if (bits == 512 && !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            return;
        }
        PackedGemm.Bits = bits;
        var rng = new Random(5);
        // Rows not a whole sliver; more rows than MC; depth over KC (two steps); accumulating.
        foreach ((int m, int n, int k, bool accumulate) in new[] { (13, 40, 37, false), (250, 70, 300, true), (64, 33, 128, false), (7, 16, 129, true) })
        {
            float[] a = Values(rng, m * k), b = Values(rng, k * n), start = Values(rng, m * n);
            float[] expected = (float[])start.Clone(), actual = (float[])start.Clone(), packed = new float[PackedGemm.WholeAFloats(m, k)];
            fixed (float* pa = a, pb = b, pe = expected, pp = packed, pc = actual)
            {
                PackedGemm.Multiply(m, n, k, pa, k, 1, pb, n, 1, accumulate, pe, n);
                PackedGemm.PackWholeA(m, k, pa, k, 1, pp);
                PackedGemm.MultiplyPacked(m, n, k, pp, pb, n, 1, accumulate, pc, n);
            }
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(2, 32, 32, 24, 1)]   // a plain Winograd layer
    [InlineData(1, 40, 36, 13, 0)]   // channel and filter counts off the slivers, no padding
    [InlineData(2, 256, 256, 7, 1)]  // a deep layer (one block per worker)
    public void WinogradWithPrepackedFiltersGivesTheReferenceBitsOnEveryCall(int batch, int channels, int filters, int size, int pad)
    {
        WinogradConvolution.Forced = true;
        float[] Run(bool prepack, int width)
        {
            WinogradConvolution.Prepack = prepack;
            WorkerPool.Width = width;
            return Forward(batch, channels, filters, size, pad, calls: 4);
        }
        float[] reference = Run(prepack: false, width: 1);
        Assert.Contains(reference, v => v != 0);
        Assert.Equal(reference, Run(prepack: true, width: 1));
        Assert.Equal(reference, Run(prepack: true, width: 2));
    }

    [Theory]
    [InlineData(4, 40, 70, 7, 3)]  // three slices of 14, 14 and 12 channels; 70 filters (a partial sliver of rows)
    [InlineData(3, 30, 64, 9, 5)]  // 5×5: slices of 5 channels
    public void BatchedProductWithPrepackedFiltersGivesTheReferenceBitsOnEveryCall(int batch, int channels, int filters, int size, int kernel)
    {
        if (PackedGemm.Bits == 0)
        {
            return; // the batched path runs on the packed GEMM only
        }
        (WinogradConvolution.Forced, PaddedDirectConvolution.Forced, BatchedConvolution.Forced) = (false, false, true);
        float[] Run(bool prepack, int width)
        {
            BatchedConvolution.Prepack = prepack;
            WorkerPool.Width = width;
            return Forward(batch, channels, filters, size, kernel / 2, calls: 4, kernel);
        }
        float[] reference = Run(prepack: false, width: 1);
        Assert.Contains(reference, v => v != 0);
        Assert.Equal(reference, Run(prepack: true, width: 1));
        Assert.Equal(reference, Run(prepack: true, width: 2));
    }

    [Fact]
    public void TheDeepRuleSendsResNet18sSmallPlanesToWinograd()
    {
        (WinogradConvolution.Forced, PaddedDirectConvolution.Forced, BatchedConvolution.Forced) = (null, null, null);
        ConvolutionLayout l14 = Layout(16, 256, 256, 14, 1, 3), l7 = Layout(16, 512, 512, 7, 1, 3);
        WinogradConvolution.Deep = true;
        Assert.True(WinogradConvolution.Applies<float>(l14, ConvolutionPass.Forward));
        Assert.True(WinogradConvolution.Applies<float>(l7, ConvolutionPass.Forward));
        Assert.False(FilterBlockConvolution.Chosen(l14));
        Assert.False(WinogradConvolution.Applies<float>(l7, ConvolutionPass.BackwardData)); // forward only
        Assert.False(WinogradConvolution.Applies<float>(Layout(16, 128, 128, 14, 1, 3), ConvolutionPass.Forward));
        WinogradConvolution.Deep = false;
        Assert.False(WinogradConvolution.Applies<float>(l14, ConvolutionPass.Forward));
        Assert.False(WinogradConvolution.Applies<float>(l7, ConvolutionPass.Forward));
    }

    [Fact]
    public void DeepLayersOnWinogradAreCloseToTheDoubleReference()
    {
        (WinogradConvolution.Forced, PaddedDirectConvolution.Forced, BatchedConvolution.Forced) = (null, null, null);
        WinogradConvolution.Deep = true;
        const int Batch = 2, Channels = 256, Filters = 256, Size = 7;
        Assert.True(WinogradConvolution.Applies<float>(Layout(Batch, Channels, Filters, Size, 1, 3), ConvolutionPass.Forward));
        var rng = new Random(17);
        float[] x = Values(rng, Batch * Channels * Size * Size), w = Values(rng, Filters * Channels * 9);
        WorkerPool.Width = 1;
        float[] one = Forward(x, w, Batch, Channels, Filters, Size, 1, 3, calls: 1);
        WorkerPool.Width = 2;
        Assert.Equal(one, Forward(x, w, Batch, Channels, Filters, Size, 1, 3, calls: 1));
        double error = 0, scale = 0;
        for (int n = 0; n < Batch; n++)
        {
            for (int f = 0; f < Filters; f++)
            {
                for (int oy = 0; oy < Size; oy++)
                {
                    for (int ox = 0; ox < Size; ox++)
                    {
                        double sum = 0;
                        for (int c = 0; c < Channels; c++)
                        {
                            for (int i = 0; i < 3; i++)
                            {
                                for (int j = 0; j < 3; j++)
                                {
                                    int iy = oy + i - 1, ix = ox + j - 1;
                                    if ((uint)iy < Size && (uint)ix < Size)
                                    {
                                        sum += (double)x[((n * Channels + c) * Size + iy) * Size + ix] * w[((f * Channels + c) * 3 + i) * 3 + j];
                                    }
                                }
                            }
                        }
                        int at = ((n * Filters + f) * Size + oy) * Size + ox;
                        error = Math.Max(error, Math.Abs(one[at] - sum));
                        scale = Math.Max(scale, Math.Abs(sum));
                    }
                }
            }
        }
        Assert.InRange(error / scale, 0, 3e-5); // WinogradConvolutionTests' tolerance
    }

    private static ConvolutionLayout Layout(int batch, int channels, int filters, int size, int pad, int kernel)
    {
        var axis = new ConvolutionAxis(size, size + 2 * pad - kernel + 1, kernel, 1, pad, 1);
        return new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
    }

    /// <summary>The forward of random data <paramref name="calls"/> times through the backend (weights unchanged, so cached); every call's output must match the last.</summary>
    private float[] Forward(int batch, int channels, int filters, int size, int pad, int calls, int kernel = 3)
    {
        var rng = new Random(size * 31 + channels);
        return Forward(Values(rng, batch * channels * size * size), Values(rng, filters * channels * kernel * kernel), batch, channels, filters, size, pad, kernel, calls);
    }

    private float[] Forward(float[] xs, float[] ws, int batch, int channels, int filters, int size, int pad, int kernel, int calls)
    {
        var geometry = new ConvolutionGeometry([kernel, kernel], [1, 1], [pad, pad], [pad, pad], [1, 1]);
        int output = size + 2 * pad - kernel + 1;
        using Tensor x = _backend.Allocate(new Shape(batch, channels, size, size));
        using Tensor w = _backend.Allocate(new Shape(filters, channels, kernel, kernel));
        using Tensor y = _backend.Allocate(new Shape(batch, filters, output, output));
        _backend.CopyFromHost<float>(xs, x);
        _backend.CopyFromHost<float>(ws, w);
        float[]? first = null;
        for (int call = 0; call < calls; call++)
        {
            _backend.ConvolutionForward(geometry, x, w, y);
            float[] values = new float[y.ElementCount];
            _backend.CopyToHost<float>(y, values);
            first ??= values;
            Assert.Equal(first, values); // the calls that derive, keep and read the kept filters agree
        }
        return first!;
    }

    private static float[] Values(Random rng, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
}
