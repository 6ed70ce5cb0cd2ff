namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Backward filter with filters along the vector (<see cref="RowFilterConvolution.TryFilterGradient"/>): bit for bit the scalar
/// FMA chain of its documented order (per block of samples, each dw value from +0 over the block's samples, then the output
/// positions row by row, padding read as zeros; the blocks' sums added in order) with x holding −0, NaN and ±∞ and dy −0 and +0,
/// at 1 and 2 threads and with blocks of one sample, the default and the whole batch;
/// near a double-precision reference, so it is the real filter gradient; a dy value that is not finite declines (nothing written)
/// and the dispatch then gives the other paths' bits.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class RowFilterFilterGradientTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS (the column path's GEMM)
    private readonly bool? _forced = RowFilterConvolution.FilterGradientForced;
    private readonly int _blockBytes = RowFilterConvolution.FilterGradientBlockBytes;
    private readonly int _width = WorkerPool.Width;

    public void Dispose()
    {
        RowFilterConvolution.FilterGradientForced = _forced;
        RowFilterConvolution.FilterGradientBlockBytes = _blockBytes;
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, height, width (the input's), filters, stride
        { 3, 8, 8, 8, 32, 1 },      // ResNet-20 stage 3 size
        { 2, 16, 16, 16, 64, 1 },   // two filter groups
        { 2, 8, 3, 5, 48, 1 },      // a last group of 16, planes not a multiple of 16 (the transpose's tail)
        { 3, 4, 1, 8, 16, 1 },      // one row: tap rows 0 and 2 both skipped, a 16-wide group only
        { 2, 4, 6, 2, 16, 1 },      // rows two wide: every column an edge
        { 3, 8, 16, 16, 32, 2 },    // stride 2
        { 2, 12, 10, 6, 16, 2 },    // stride 2, output 5 × 3
        { 3, 16, 8, 8, 16, 1 },     // 16 filters, channels a multiple of 8: items of 8 channels × one vector (ResNet-20 stage 1)
        { 2, 8, 6, 10, 16, 2 },     // the same at stride 2
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsTheScalarChainBitForBitAtEveryWidthAndBlock(int batch, int channels, int height, int width, int filters, int stride)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(batch, channels, height, width, filters, stride: stride);
        RowFilterConvolution.FilterGradientForced = true;
        if (PackedGemm.Bits != 512)
        {
            Assert.False(RowFilterConvolution.AppliesFilterGradient<float>(l));
            return;
        }
        Assert.True(RowFilterConvolution.AppliesFilterGradient<float>(l));
        var rng = new Random(channels * 31 + filters + stride);
        float[] x = ConvolutionChain.Special(rng, ConvolutionChain.Values(rng, batch * channels * l.InputSize));
        float[] dy = FiniteSpecial(rng, ConvolutionChain.Values(rng, batch * filters * l.OutputSize));
        // Blocks of one sample, two (the last one short when the batch is odd), the whole batch.
        int two = 2 * 4 * (l.OutputSize * filters + channels * l.InputSize);
        foreach ((int blockBytes, int samples) in new[] { (1, 1), (two, 2), (int.MaxValue, batch) })
        {
            RowFilterConvolution.FilterGradientBlockBytes = blockBytes;
            int block = RowFilterConvolution.FilterGradientBlock(l);
            Assert.Equal(samples, block);
            int[] expected = Bits(Chain(l, x, dy, block));
            Assert.Contains(expected, v => float.IsNaN(BitConverter.Int32BitsToSingle(v)));
            foreach (int threads in new[] { 1, 2 })
            {
                WorkerPool.Width = threads;
                Assert.Equal(expected, Bits(FilterGradient(l, x, dy)));
            }
        }
        RowFilterConvolution.FilterGradientBlockBytes = _blockBytes;

        // Finite values: within rounding of the double-precision gradient.
        float[] plainX = ConvolutionChain.Values(rng, x.Length), plainDy = ConvolutionChain.Values(rng, dy.Length);
        (double[] reference, double[] scale, _, _) = DirectGradientTests.Reference(l, plainX, new float[filters * l.GroupRows], plainDy);
        DirectGradientTests.AssertNear(reference, scale, FilterGradient(l, plainX, plainDy), "dw");
    }

    [Theory]
    [InlineData(float.PositiveInfinity, 1)]
    [InlineData(float.NaN, 1)]
    [InlineData(float.NegativeInfinity, 2)]
    public void ADyValueNotFiniteDeclinesAndTheDispatchGivesTheOtherPathsBits(float bad, int stride)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(5, 8, 16, 16, 32, stride: stride);
        if (PackedGemm.Bits != 512)
        {
            return;
        }
        var rng = new Random(7);
        float[] x = ConvolutionChain.Values(rng, 5 * l.Channels * l.InputSize), dy = ConvolutionChain.Values(rng, 5 * l.Filters * l.OutputSize);
        dy[^(l.OutputSize + 3)] = bad; // in the last sample: found after the first blocks have run
        RowFilterConvolution.FilterGradientBlockBytes = 1;
        float[] dw = new float[l.Filters * l.GroupRows];
        var workspace = new ConvolutionWorkspace();
        fixed (float* px = x, pdy = dy, pdw = dw)
        {
            Assert.False(RowFilterConvolution.TryFilterGradient(l, px, pdy, pdw, workspace));
        }
        workspace.Release();
        Assert.All(dw, v => Assert.Equal(0f, v)); // nothing written

        RowFilterConvolution.FilterGradientForced = true;
        float[] declined = FilterGradient(l, x, dy);
        RowFilterConvolution.FilterGradientForced = false;
        Assert.Equal(Bits(FilterGradient(l, x, dy)), Bits(declined));
        Assert.Contains(declined, v => !float.IsFinite(v));
    }

    [Fact]
    public void TheSizeRuleLeavesWinogradTheWideSixteenBySixteenLayers()
    {
        RowFilterConvolution.FilterGradientForced = null;
        bool wide = PackedGemm.Bits == 512;
        Assert.Equal(wide, RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 32, 32, 32, 32)));   // VGG-CIFAR
        Assert.Equal(wide, RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 32, 16, 16, 64)));
        Assert.Equal(wide, RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 128, 8, 8, 128)));
        Assert.Equal(wide, RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 16, 32, 32, 16)));   // ResNet-20
        Assert.Equal(wide, RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 16, 32, 32, 32, stride: 2)));
        Assert.False(RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 64, 16, 16, 64)));         // Winograd's
        Assert.False(RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 3, 32, 32, 32)));          // an RGB first layer
        Assert.False(RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 16, 32, 32, 24)));         // filters not a multiple of 16
        Assert.False(RowFilterConvolution.AppliesFilterGradient<double>(ConvolutionChain.Layout(128, 64, 8, 8, 64)));
        RowFilterConvolution.FilterGradientForced = false;
        Assert.False(RowFilterConvolution.AppliesFilterGradient<float>(ConvolutionChain.Layout(128, 64, 8, 8, 64)));
    }

    /// <summary>
    /// dw[f][c][ky][kx]: per block of <paramref name="block"/> samples the FMA chain from +0 over its samples, then the output
    /// positions row by row, padding read as 0; the blocks' sums added in order from +0.
    /// </summary>
    private static float[] Chain(ConvolutionLayout l, float[] x, float[] dy, int block)
    {
        ConvolutionAxis h = l.Height, v = l.Width;
        float[] dw = new float[l.Filters * l.GroupRows];
        for (int f = 0; f < l.Filters; f++)
        {
            for (int c = 0; c < l.Channels; c++)
            {
                for (int ky = 0; ky < 3; ky++)
                {
                    for (int kx = 0; kx < 3; kx++)
                    {
                        float sum = 0;
                        for (int first = 0; first < l.Batch; first += block)
                        {
                            float acc = 0;
                            for (int n = first; n < Math.Min(l.Batch, first + block); n++)
                            {
                                for (int oy = 0; oy < h.Output; oy++)
                                {
                                    for (int ox = 0; ox < v.Output; ox++)
                                    {
                                        int iy = oy * h.Stride + ky - 1, ix = ox * v.Stride + kx - 1;
                                        float value = iy >= 0 && iy < h.Input && ix >= 0 && ix < v.Input ? x[((n * l.Channels + c) * h.Input + iy) * v.Input + ix] : 0f;
                                        acc = MathF.FusedMultiplyAdd(dy[((n * l.Filters + f) * h.Output + oy) * v.Output + ox], value, acc);
                                    }
                                }
                            }
                            sum += acc;
                        }
                        dw[(f * l.Channels + c) * 9 + ky * 3 + kx] = sum;
                    }
                }
            }
        }
        return dw;
    }

    /// <summary>Some values made −0 (one in 8) or +0 (one in 100): signed zeros, but every value finite.</summary>
    private static float[] FiniteSpecial(Random rng, float[] v)
    {
        for (int i = 0; i < v.Length; i++)
        {
            int d = rng.Next(800);
            v[i] = d < 100 ? -0f : d < 108 ? 0f : v[i];
        }
        return v;
    }

    /// <summary>dw through <see cref="ConvolutionKernels"/> as the switches stand.</summary>
    private static float[] FilterGradient(ConvolutionLayout l, float[] x, float[] dy)
    {
        float[] dw = new float[l.Filters * l.GroupRows];
        var workspace = new ConvolutionWorkspace();
        fixed (float* px = x, pdy = dy, pdw = dw)
        {
            ConvolutionKernels.Run(ConvolutionPass.BackwardFilter, false, l, DataType.Float32, (nint)px, (nint)pdw, (nint)pdy, workspace);
        }
        workspace.Release();
        return dw;
    }

    private static int[] Bits(float[] v) => [.. v.Select(BitConverter.SingleToInt32Bits)];
}
