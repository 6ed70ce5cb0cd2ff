namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The row × filter 3×3 forward (<see cref="RowFilterConvolution"/>: padding taps skipped, x read in place) against a
/// scalar chain of FMAs over the column-matrix rows in order (padding multiplied as zeros: im2col + the packed GEMM's
/// chain) through the separate epilogue pass's function, and against the padded kernel it replaces, bit for bit:
/// stride 1 and 2, output widths 8, 16, 24 and 32 (one to four segments a row), 1 to 3 rows and whole planes, 1 to 64 channels, 16 to 64 filters
/// (a 16-wide last group, a zero-padded one) and a few odd counts, inputs with negative zeros, NaNs and infinities, no
/// epilogue, batch norm with and without ReLU, the residual + ReLU, tanh (applied by the caller), at 1 and 2 threads. A
/// weight that is not finite makes it decline (its padding taps would give NaN in the reference), and the next path's
/// result is the reference's; the weights cached per storage give the same bits; with and without the prefetch.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class RowFilterConvolutionTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS
    private readonly bool? _row = RowFilterConvolution.Forced;
    private readonly bool _prefetch = RowFilterConvolution.Prefetch;
    private readonly bool? _direct = PaddedDirectConvolution.Forced;
    private readonly bool? _batched = BatchedConvolution.Forced;
    private readonly bool? _winograd = WinogradConvolution.Forced;
    private readonly bool? _blocks = FilterBlockConvolution.Forced;
    private readonly bool _enabled = DerivedFilters.Enabled;
    private readonly int _width = WorkerPool.Width;

    public void Dispose()
    {
        RowFilterConvolution.Forced = _row;
        RowFilterConvolution.Prefetch = _prefetch;
        PaddedDirectConvolution.Forced = _direct;
        BatchedConvolution.Forced = _batched;
        WinogradConvolution.Forced = _winograd;
        FilterBlockConvolution.Forced = _blocks;
        DerivedFilters.Enabled = _enabled;
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, height, width (the output's), filters, stride
        { 2, 64, 8, 8, 64, 1 },    // ResNet-20 stage 3: one segment a row, both edges
        { 2, 32, 16, 16, 32, 1 },  // stage 2: two segments a row
        { 2, 16, 32, 32, 16, 1 },  // stage 1: four segments, a 16-wide group only
        { 3, 3, 1, 8, 32, 1 },     // one row: tap rows 0 and 2 both skipped
        { 2, 1, 2, 16, 48, 1 },    // two rows, one channel, a 16-wide last group
        { 2, 16, 3, 24, 64, 1 },   // three rows, three segments (one interior)
        { 2, 64, 3, 8, 16, 1 },    // a 16-wide group alone
        { 3, 16, 5, 16, 40, 1 },   // a 32-wide last group of 8 filters (zero-padded, not stored)
        { 2, 3, 4, 8, 5, 1 },      // 5 filters: a 16-wide group of 5
        { 1, 7, 6, 32, 33, 1 },    // 33 filters: a 1-filter 16-wide last group
        { 2, 16, 16, 16, 32, 2 },  // ResNet-20's 16×32×32 → 32 stride 2: two segments a row
        { 2, 32, 8, 8, 64, 2 },    // its 32×16×16 → 64: one segment
        { 2, 3, 1, 8, 48, 2 },     // one output row (of two input rows), a 16-wide last group
        { 1, 5, 3, 24, 20, 2 },    // three segments, 20 filters
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsTheReferenceBitForBit(int batch, int channels, int height, int width, int filters, int stride)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(batch, channels, stride * height, stride * width, filters, stride: stride);
        if (PackedGemm.Bits != 512)
        {
            RowFilterConvolution.Forced = true;
            Assert.False(RowFilterConvolution.Applies<float>(l));
            return;
        }
        var rng = new Random(height * 131 + channels * 7 + filters);
        float[] x = ConvolutionChain.Special(rng, ConvolutionChain.Values(rng, l.Batch * l.Channels * l.InputSize)), w = ConvolutionChain.Values(rng, filters * l.GroupRows);
        float[] scale = ConvolutionChain.Values(rng, filters), shift = ConvolutionChain.Values(rng, filters), residual = ConvolutionChain.Values(rng, l.Batch * l.Filters * l.OutputSize);
        float[] chain = ConvolutionChain.Scalar(l, x, w);
        Assert.Contains(chain, v => v != 0 && float.IsFinite(v));
        Assert.Contains(chain, float.IsNaN);
        foreach ((Activation? activation, bool epilogue, bool sum) in new (Activation?, bool, bool)[]
            { (null, false, false), (null, true, false), (Activation.Relu, true, false), (Activation.Relu, true, true), (null, true, true), (Activation.Tanh, true, false) })
        {
            float[]? r = sum ? residual : null;
            int[] expected = Bits(epilogue ? ConvolutionChain.Epilogue(l, chain, scale, shift, activation, r) : chain);
            Assert.Equal(expected, Bits(Run(l, x, w, scale, shift, epilogue, activation, row: false, threads: 1, r)));
            // With and without the prefetch of the rows read a few channels on (it changes no result).
            foreach ((bool prefetch, int threads) in new[] { (true, 1), (true, 2), (false, 1) })
            {
                RowFilterConvolution.Prefetch = prefetch;
                Assert.Equal(expected, Bits(Run(l, x, w, scale, shift, epilogue, activation, row: true, threads, r)));
            }
        }
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.NaN)]
    public void AWeightNotFiniteDeclinesAndTheNextPathGivesTheReferenceBits(float bad)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(2, 16, 8, 8, 32);
        if (PackedGemm.Bits != 512)
        {
            return; // never applies (EqualsTheReferenceBitForBit checks that)
        }
        var rng = new Random(5);
        float[] x = ConvolutionChain.Values(rng, l.Batch * l.Channels * l.InputSize), w = ConvolutionChain.Values(rng, l.Filters * l.GroupRows);
        float[] scale = ConvolutionChain.Values(rng, l.Filters), shift = ConvolutionChain.Values(rng, l.Filters);
        w[3 * l.GroupRows + 9 * 5] = bad; // filter 3, channel 5, tap (0, 0): in the padding on the first row and column
        fixed (float* pw = w)
        {
            Assert.False(RowFilterConvolution.AllFinite(pw, w.Length));
            Assert.True(RowFilterConvolution.AllFinite(pw, 3 * l.GroupRows + 9 * 5));
        }
        // 0·∞ in filter 3's padding taps: NaN on the plane's border in the reference.
        int[] expected = Bits(ConvolutionChain.Scalar(l, x, w));
        Assert.Contains(expected, v => float.IsNaN(BitConverter.Int32BitsToSingle(v)));
        Assert.Equal(expected, Bits(Run(l, x, w, scale, shift, epilogue: false, null, row: false, threads: 1)));
        foreach (int threads in new[] { 1, 2 })
        {
            Assert.Equal(expected, Bits(Run(l, x, w, scale, shift, epilogue: false, null, row: true, threads)));
        }
        fixed (float* px = x, pw = w)
        {
            float[] y = new float[l.Batch * l.Filters * l.OutputSize];
            var workspace = new ConvolutionWorkspace();
            fixed (float* py = y)
            {
                Assert.False(RowFilterConvolution.TryForward(l, px, pw, py, workspace, default, null, out _));
            }
            workspace.Release();
        }
    }

    [Fact]
    public void PackedWeightsKeptPerStorageGiveTheSameBits()
    {
        if (PackedGemm.Bits != 512)
        {
            return;
        }
        RowFilterConvolution.Forced = true;
        var rng = new Random(11);
        var geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        using Tensor x = Upload(new Shape(2, 32, 16, 16), rng);
        using Tensor w = Upload(new Shape(48, 32, 3, 3), rng);
        using Tensor scale = Upload(new Shape(48), rng);
        using Tensor shift = Upload(new Shape(48), rng);
        using Tensor y = _backend.Allocate(new Shape(2, 48, 16, 16));
        float[] Forward(bool cached)
        {
            DerivedFilters.Enabled = cached;
            _backend.ConvolutionForwardWithEpilogue(geometry, x, w, y, scale, shift, Activation.Relu);
            float[] values = new float[y.ElementCount];
            _backend.CopyToHost<float>(y, values);
            return values;
        }
        float[] reference = Forward(cached: false);
        for (int call = 0; call < 3; call++)
        {
            Assert.Equal(reference, Forward(cached: true));
        }
        Assert.True(DerivedFilters.BytesOf((CpuStorage)w.Storage) > 0);
        RowFilterConvolution.Forced = false;
        Assert.Equal(reference, Forward(cached: false));
    }

    [Fact]
    public void TheSizeRuleTakesTheLayersThePaddedKernelWouldTake()
    {
        RowFilterConvolution.Forced = null;
        PaddedDirectConvolution.Forced = null;
        BatchedConvolution.Forced = null;
        WinogradConvolution.Forced = null;
        FilterBlockConvolution.Forced = null;
        bool wide = PackedGemm.Bits == 512;
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 64, 8, 8, 64)));     // ResNet-20 stage 3
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 32, 16, 16, 32)));   // stage 2
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 128, 8, 8, 128)));   // VGG-CIFAR
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 16, 32, 32, 16)));   // stage 1
        Assert.False(RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 32, 32, 32, 32)));         // VGG-CIFAR's 32×32: Winograd's
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 16, 32, 32, 32, stride: 2))); // stride 2 to 16×16
        RowFilterConvolution.Prefetch = true;
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 3, 32, 32, 16)));    // the RGB first layer: faster with the prefetch
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 32, 16, 16, 64, stride: 2))); // stride 2 to 8×8: the same
        RowFilterConvolution.Prefetch = false;
        Assert.False(RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 3, 32, 32, 16)));          // without it, the padded kernel
        Assert.False(RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 32, 16, 16, 64, stride: 2)));       // (slower, bimodal)
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 16, 32, 32, 32, stride: 2)));
        RowFilterConvolution.Prefetch = true;
        Assert.False(RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(16, 512, 8, 8, 512)));          // what the padded kernel does not take
        Assert.False(RowFilterConvolution.Applies<double>(ConvolutionChain.Layout(128, 64, 8, 8, 64)));
        RowFilterConvolution.Forced = true;
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 3, 32, 32, 16)));
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(16, 512, 8, 8, 512)));
        Assert.False(RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(2, 8, 12, 12, 8)));             // rows not a multiple of 8
        Assert.False(RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(2, 8, 16, 16, 8, pad: 0)));     // padding 0
        Assert.Equal(wide, RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(2, 8, 16, 16, 8, stride: 2)));
        Assert.False(RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(2, 8, 17, 17, 8, stride: 2)));  // stride 2 from an odd input: the last column in the padding
        RowFilterConvolution.Forced = false;
        Assert.False(RowFilterConvolution.Applies<float>(ConvolutionChain.Layout(128, 64, 8, 8, 64)));
    }

    /// <summary>
    /// Forward through <see cref="ConvolutionKernels"/> with the kernel forced on (<paramref name="row"/>) or off; off, the padded
    /// kernel forced on (the path it replaces, which takes residuals; every test shape fits it) and every other path off.
    /// </summary>
    private float[] Run(ConvolutionLayout l, float[] x, float[] w, float[] scale, float[] shift, bool epilogue, Activation? activation, bool row, int threads,
        float[]? residual = null)
    {
        RowFilterConvolution.Forced = row;
        PaddedDirectConvolution.Forced = true;
        BatchedConvolution.Forced = false;
        WinogradConvolution.Forced = false;
        FilterBlockConvolution.Forced = false;
        WorkerPool.Width = threads;
        Assert.Equal(row, RowFilterConvolution.Applies<float>(l));
        return ConvolutionChain.Kernels(l, x, w, scale, shift, epilogue, activation, residual);
    }

    /// <summary>Bit patterns, so NaNs and zeros of either sign compare exactly.</summary>
    private static int[] Bits(float[] v) => [.. v.Select(BitConverter.SingleToInt32Bits)];

    private Tensor Upload(Shape shape, Random rng)
    {
        Tensor t = _backend.Allocate(shape);
        _backend.CopyFromHost<float>(ConvolutionChain.Values(rng, (int)shape.ElementCount), t);
        return t;
    }
}
