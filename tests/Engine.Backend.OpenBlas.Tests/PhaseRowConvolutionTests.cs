namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The stride-2 phase-row forward (<see cref="PhaseRowConvolution"/>) against a scalar chain of fused multiply-adds
/// over the column-matrix rows in order (padding multiplied as zeros) followed by the epilogue pass's own per-plane
/// function, bit for bit, and against the path it replaces (im2col + the packed GEMM, bit for bit where the product
/// goes to that kernel); and the chain within float32 rounding of the convolution computed in double, so a chain
/// over the wrong inputs would show. Over windows 1 to 7, paddings 0 to 3, output rows that are and are not
/// multiples of 16 (partial last vectors, tiles spanning output rows, a last tile repeating its last vector), filter
/// counts that are not multiples of 4, 1 and 2 threads, the epilogue in registers (ReLU, none) or after each sample
/// (tanh, a residual). Without AVX-512 the path never applies, which is checked instead.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class PhaseRowConvolutionTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS
    private readonly bool? _phases = PhaseRowConvolution.Forced;
    private readonly bool? _direct = PaddedDirectConvolution.Forced;
    private readonly bool? _batched = BatchedConvolution.Forced;
    private readonly bool? _winograd = WinogradConvolution.Forced;
    private readonly int _width = WorkerPool.Width;

    public void Dispose()
    {
        PhaseRowConvolution.Forced = _phases;
        PaddedDirectConvolution.Forced = _direct;
        BatchedConvolution.Forced = _batched;
        WinogradConvolution.Forced = _winograd;
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, height, width, filters, kernel, pad
        { 2, 3, 64, 64, 64, 7, 3 },   // ResNet-18's first layer, smaller: 32×32 outputs, two whole vectors a row
        { 3, 3, 45, 45, 10, 7, 3 },   // 23×23: a 7-lane last vector, tiles across rows, 10 filters (a 2-filter tail)
        { 1, 1, 20, 37, 5, 5, 2 },    // one channel, 10×19 outputs, a 1-filter tail
        { 2, 4, 33, 30, 8, 3, 1 },    // 3×3 pad 1: 17×15
        { 2, 5, 40, 40, 12, 3, 0 },   // no padding: 19×19
        { 1, 2, 24, 24, 4, 4, 1 },    // an even window: 12×12 outputs, one vector a row
        { 2, 6, 28, 28, 9, 1, 0 },    // 1×1 stride 2: 14×14
        { 1, 3, 9, 10, 3, 7, 3 },     // outputs 5×5 from a 9×10 input: the padding wider than what is left of the row
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsTheScalarChainAndIm2ColBitForBit(int batch, int channels, int height, int width, int filters, int kernel, int pad)
    {
        ConvolutionLayout l = Layout(batch, channels, height, width, filters, kernel, pad);
        if (PackedGemm.Bits != 512)
        {
            PhaseRowConvolution.Forced = true;
            Assert.False(PhaseRowConvolution.Applies<float>(l));
            return;
        }
        var rng = new Random(height * 31 + channels + kernel);
        float[] x = BatchedConvolutionTests.Values(rng, batch * channels * l.InputSize), w = BatchedConvolutionTests.Values(rng, filters * l.ColumnRows);
        float[] scale = BatchedConvolutionTests.Values(rng, filters), shift = BatchedConvolutionTests.Values(rng, filters), residual = BatchedConvolutionTests.Values(rng, batch * filters * l.OutputSize);
        float[] chain = ConvolutionChain.Scalar(l, x, w);
        AssertNearDouble(l, x, w, chain);
        bool packed = PackedGemm.Takes(filters, l.OutputSize, l.ColumnRows);
        foreach (Activation? activation in new Activation?[] { null, Activation.Relu, Activation.Tanh })
        {
            foreach (int epilogue in new[] { 0, 1, 2 }) // none, scale/shift + activation, that with a residual
            {
                float[]? r = epilogue == 2 ? residual : null;
                float[] expected = epilogue > 0 ? ConvolutionChain.Epilogue(l, chain, scale, shift, activation, r) : chain;
                if (packed)
                {
                    Assert.Equal(expected, Run(l, x, w, scale, shift, epilogue > 0, activation, r, phases: false, threads: 1));
                }
                foreach (int threads in new[] { 1, 2 })
                {
                    Assert.Equal(expected, Run(l, x, w, scale, shift, epilogue > 0, activation, r, phases: true, threads));
                }
            }
        }
    }

    [Fact]
    public void TheSizeRuleTakesFirstLayersWithWideWindowsAndWideStrideTwoRows()
    {
        PhaseRowConvolution.Forced = null;
        bool wide = PackedGemm.Bits == 512;
        Assert.Equal(wide, PhaseRowConvolution.Applies<float>(Layout(16, 3, 224, 224, 64, 7, 3))); // ResNet-18's first layer
        Assert.Equal(wide, PhaseRowConvolution.Applies<float>(Layout(16, 64, 56, 56, 128, 3, 1))); // its first stride-2 3×3: rows of 28
        Assert.False(PhaseRowConvolution.Applies<float>(Layout(16, 128, 28, 28, 256, 3, 1)));       // not its narrower ones
        Assert.False(PhaseRowConvolution.Applies<float>(Layout(16, 256, 14, 14, 512, 3, 1)));
        Assert.False(PhaseRowConvolution.Applies<float>(Layout(128, 16, 32, 32, 32, 3, 1)));        // nor ResNet-20's (16 wide)
        Assert.False(PhaseRowConvolution.Applies<float>(Layout(16, 64, 56, 56, 128, 1, 0)));        // nor the projections
        Assert.False(PhaseRowConvolution.Applies<double>(Layout(16, 3, 224, 224, 64, 7, 3)));
        var stride1 = new ConvolutionAxis(32, 32, 7, 1, 3, 1);
        Assert.False(PhaseRowConvolution.Applies<float>(new ConvolutionLayout(2, 3, 16, 1, ConvolutionAxis.Unit, stride1, stride1)));
        PhaseRowConvolution.Forced = false;
        Assert.False(PhaseRowConvolution.Applies<float>(Layout(16, 3, 224, 224, 64, 7, 3)));
        PhaseRowConvolution.Forced = true;
        Assert.Equal(wide, PhaseRowConvolution.Applies<float>(Layout(16, 256, 14, 14, 512, 3, 1)));
    }

    /// <summary>The chain within float32 rounding of the sum in double (|error| ≤ 1e-5 · (1 + Σ|w·x|)).</summary>
    private static void AssertNearDouble(ConvolutionLayout l, float[] x, float[] w, float[] chain)
    {
        ConvolutionAxis h = l.Height, v = l.Width;
        for (int n = 0; n < l.Batch; n++)
        {
            for (int k = 0; k < l.Filters; k++)
            {
                for (int p = 0; p < l.OutputSize; p++)
                {
                    int oy = p / v.Output, ox = p % v.Output;
                    double sum = 0, magnitude = 0;
                    for (int c = 0; c < l.Channels; c++)
                    {
                        for (int ky = 0; ky < h.Kernel; ky++)
                        {
                            for (int kx = 0; kx < v.Kernel; kx++)
                            {
                                int iy = 2 * oy + ky - h.Pad, ix = 2 * ox + kx - v.Pad;
                                if (iy >= 0 && iy < h.Input && ix >= 0 && ix < v.Input)
                                {
                                    double term = (double)x[((n * l.Channels + c) * h.Input + iy) * v.Input + ix] * w[((k * l.Channels + c) * h.Kernel + ky) * v.Kernel + kx];
                                    sum += term;
                                    magnitude += Math.Abs(term);
                                }
                            }
                        }
                    }
                    float got = chain[(n * l.Filters + k) * l.OutputSize + p];
                    Assert.True(Math.Abs(got - sum) <= 1e-5 * (1 + magnitude), $"y[{n}, {k}, {p}]: {got} vs {sum}");
                }
            }
        }
    }

    private float[] Run(ConvolutionLayout l, float[] x, float[] w, float[] scale, float[] shift, bool epilogue, Activation? activation, float[]? residual,
        bool phases, int threads)
    {
        PhaseRowConvolution.Forced = phases;
        PaddedDirectConvolution.Forced = false;
        BatchedConvolution.Forced = false;
        WinogradConvolution.Forced = false;
        WorkerPool.Width = threads;
        Assert.Equal(phases, PhaseRowConvolution.Applies<float>(l));
        return ConvolutionChain.Kernels(l, x, w, scale, shift, epilogue, activation, residual);
    }

    private static ConvolutionLayout Layout(int batch, int channels, int height, int width, int filters, int kernel, int pad)
    {
        var h = new ConvolutionAxis(height, (height + 2 * pad - kernel) / 2 + 1, kernel, 2, pad, 1);
        var v = new ConvolutionAxis(width, (width + 2 * pad - kernel) / 2 + 1, kernel, 2, pad, 1);
        return new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit, h, v);
    }
}
