namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Backward data on the row × filter tile (<see cref="RowFilterConvolution.TryBackwardData"/>): bit for bit the scalar FMA chain
/// of the transposed layout's forward (dy as input, the filters transposed and flipped, built here independently of the kernel's
/// packing) with dy holding −0, NaN and ±∞, at 1 and 2 threads; and near the column path's dx (im2col's transpose, col2im,
/// which sums in another order), so the transposition is the real data gradient. A weight that is not finite declines.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class RowFilterDataGradientTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS (the column path's GEMM)
    private readonly bool? _backward = RowFilterConvolution.BackwardDataForced;
    private readonly bool? _winograd = WinogradConvolution.Forced;
    private readonly bool _direct = DirectDataGradient.Enabled;
    private readonly int _width = WorkerPool.Width;

    public void Dispose()
    {
        RowFilterConvolution.BackwardDataForced = _backward;
        WinogradConvolution.Forced = _winograd;
        DirectDataGradient.Enabled = _direct;
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, height, width (the input's), filters, stride (the forward layer's)
        { 2, 64, 8, 8, 64, 1 },    // ResNet-20 stage 3
        { 2, 32, 16, 16, 32, 1 },  // stage 2, two segments a row
        { 2, 16, 32, 32, 16, 1 },  // stage 1: a 16-wide channel group only
        { 2, 128, 8, 8, 64, 1 },   // VGG-CIFAR's 64 → 128 transposed: four channel groups
        { 3, 40, 3, 24, 7, 1 },    // a 32-wide last channel group of 8 (zero-padded), 7 filters, three rows
        { 2, 8, 1, 8, 5, 1 },      // one row: tap rows 0 and 2 both skipped
        { 2, 16, 32, 32, 32, 2 },  // ResNet-20's 16×32×32 → 32 stride 2: a 16-wide channel group, 8 tiles a dx row
        { 2, 32, 16, 16, 64, 2 },  // its 32×16×16 → 64: one 32-wide group, two tiles a dx row
        { 2, 40, 4, 16, 9, 2 },    // a zero-padded last group of 8, two dy rows, 9 filters
        { 1, 5, 2, 48, 3, 2 },     // one dy row (its odd dx row has tap row 2 only), 5 channels, six tiles a dx row
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsTheDocumentedChainBitForBitAndIsTheDataGradient(int batch, int channels, int height, int width, int filters, int stride)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(batch, channels, height, width, filters, stride: stride);
        RowFilterConvolution.BackwardDataForced = true;
        if (PackedGemm.Bits != 512)
        {
            Assert.False(RowFilterConvolution.AppliesBackwardData<float>(l));
            return;
        }
        Assert.True(RowFilterConvolution.AppliesBackwardData<float>(l));
        var rng = new Random(channels * 31 + filters);
        float[] w = ConvolutionChain.Values(rng, filters * l.GroupRows);
        float[] dy = ConvolutionChain.Special(rng, ConvolutionChain.Values(rng, batch * filters * l.OutputSize));
        int[] expected = Bits(stride == 1 ? ConvolutionChain.Scalar(DirectDataGradient.Transposed(l), dy, Flipped(l, w)) : Stride2Chain(l, dy, w));
        Assert.Contains(expected, v => float.IsNaN(BitConverter.Int32BitsToSingle(v)));
        foreach (int threads in new[] { 1, 2 })
        {
            WorkerPool.Width = threads;
            Assert.Equal(expected, Bits(BackwardData(l, dy, w)));
        }

        // Finite dy: within rounding of the column path (col2im adds the taps' partial sums in another order).
        float[] plain = ConvolutionChain.Values(rng, dy.Length);
        float[] row = BackwardData(l, plain, w);
        RowFilterConvolution.BackwardDataForced = false;
        WinogradConvolution.Forced = false;
        DirectDataGradient.Enabled = false;
        float[] columns = BackwardData(l, plain, w);
        Assert.Contains(columns, v => Math.Abs(v) > 1);
        for (int i = 0; i < row.Length; i++)
        {
            Assert.True(Math.Abs(row[i] - columns[i]) <= 1e-5f * (1 + Math.Abs(columns[i])) * filters, $"dx[{i}]: {row[i]} against the column path's {columns[i]}");
        }
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public void AWeightNotFiniteDeclines(float bad)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(2, 16, 8, 8, 32);
        var rng = new Random(5);
        float[] w = ConvolutionChain.Values(rng, l.Filters * l.GroupRows), dy = ConvolutionChain.Values(rng, 2 * l.Filters * l.OutputSize);
        w[17] = bad;
        float[] dx = new float[2 * l.Channels * l.InputSize];
        var workspace = new ConvolutionWorkspace();
        fixed (float* pw = w, pdy = dy, pdx = dx)
        {
            Assert.False(RowFilterConvolution.TryBackwardData(l, pdy, pw, pdx, workspace));
        }
        workspace.Release();
        Assert.All(dx, v => Assert.Equal(0f, v)); // nothing written
    }

    [Fact]
    public void TheSizeRuleTakesLayersOfEightChannelsOrMoreBelowWinogradsSizes()
    {
        RowFilterConvolution.BackwardDataForced = null;
        bool wide = PackedGemm.Bits == 512;
        Assert.False(RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(128, 32, 32, 32, 32)));         // VGG-CIFAR's 32×32: Winograd
        Assert.Equal(wide, RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(128, 32, 16, 16, 64)));
        Assert.Equal(wide, RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(128, 128, 8, 8, 128)));
        Assert.Equal(wide, RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(128, 16, 32, 32, 16)));   // ResNet-20
        Assert.False(RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(128, 3, 32, 32, 32)));          // an RGB first layer
        Assert.Equal(wide, RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(128, 16, 32, 32, 32, stride: 2))); // ResNet-20's stride 2
        Assert.Equal(wide, RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(128, 32, 16, 16, 64, stride: 2)));
        Assert.False(RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(2, 8, 17, 17, 8, stride: 2)));          // an odd input
        Assert.False(RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(2, 8, 12, 12, 8)));             // rows not a multiple of 8
        Assert.False(RowFilterConvolution.AppliesBackwardData<double>(ConvolutionChain.Layout(128, 64, 8, 8, 64)));
        RowFilterConvolution.BackwardDataForced = false;
        Assert.False(RowFilterConvolution.AppliesBackwardData<float>(ConvolutionChain.Layout(128, 64, 8, 8, 64)));
    }

    /// <summary>dx through <see cref="ConvolutionKernels"/> as the switches stand.</summary>
    private static float[] BackwardData(ConvolutionLayout l, float[] dy, float[] w)
    {
        float[] dx = new float[l.Batch * l.Channels * l.InputSize];
        var workspace = new ConvolutionWorkspace();
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            ConvolutionKernels.Run(ConvolutionPass.BackwardData, false, l, DataType.Float32, (nint)pdx, (nint)pw, (nint)pdy, workspace);
        }
        workspace.Release();
        return dx;
    }

    /// <summary>
    /// Stride 2's documented chain: dx[n, c, iy, ix] = the FMA chain from +0 over (filter, tap row ascending, tap column
    /// descending) of w·dy at the dy positions (iy + 1 − ky) / 2, (ix + 1 − kx) / 2 that exist.
    /// </summary>
    private static float[] Stride2Chain(ConvolutionLayout l, float[] dy, float[] w)
    {
        int h = l.Height.Output, v = l.Width.Output, hi = l.Height.Input, vi = l.Width.Input;
        float[] dx = new float[l.Batch * l.Channels * l.InputSize];
        for (int n = 0; n < l.Batch; n++)
        {
            for (int c = 0; c < l.Channels; c++)
            {
                for (int iy = 0; iy < hi; iy++)
                {
                    for (int ix = 0; ix < vi; ix++)
                    {
                        float acc = 0;
                        for (int f = 0; f < l.Filters; f++)
                        {
                            for (int ky = 0; ky < 3; ky++)
                            {
                                int sy = iy + 1 - ky;
                                if (sy < 0 || sy % 2 != 0 || sy / 2 >= h)
                                {
                                    continue;
                                }
                                for (int kx = 2; kx >= 0; kx--)
                                {
                                    int sx = ix + 1 - kx;
                                    if (sx < 0 || sx % 2 != 0 || sx / 2 >= v)
                                    {
                                        continue;
                                    }
                                    acc = MathF.FusedMultiplyAdd(w[((f * l.Channels + c) * 3 + ky) * 3 + kx], dy[((n * l.Filters + f) * h + sy / 2) * v + sx / 2], acc);
                                }
                            }
                        }
                        dx[((n * l.Channels + c) * hi + iy) * vi + ix] = acc;
                    }
                }
            }
        }
        return dx;
    }

    /// <summary>w′[c][f][ky][kx] = w[f][c][2 − ky][2 − kx]: the transposed layout's filters.</summary>
    private static float[] Flipped(ConvolutionLayout l, float[] w)
    {
        float[] t = new float[w.Length];
        for (int f = 0; f < l.Filters; f++)
        {
            for (int c = 0; c < l.Channels; c++)
            {
                for (int tap = 0; tap < 9; tap++)
                {
                    t[(c * l.Filters + f) * 9 + tap] = w[(f * l.Channels + c) * 9 + 8 - tap];
                }
            }
        }
        return t;
    }

    private static int[] Bits(float[] v) => [.. v.Select(BitConverter.SingleToInt32Bits)];
}
