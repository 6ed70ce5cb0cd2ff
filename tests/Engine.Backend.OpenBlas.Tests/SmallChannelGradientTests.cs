using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The small-channel backward kernels (the 3-channel 3×3 filter gradient <see cref="SmallChannelFilterGradient"/>,
/// the 3–6-channel data gradient <see cref="SmallChannelDataGradient"/>) through the dispatcher against the double-precision im2col
/// reference of <see cref="DirectGradientTests"/> (each result within 1e-5 of its terms' magnitudes: the
/// kernels sum in another order than the column path), against the paths taken with the switch off (the
/// column path, or <see cref="DirectDataGradient"/> for LeNet's conv2; the same tolerance), and the same bits at pool widths 1 and 2.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class SmallChannelGradientTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS, which the column path calls
    private readonly int _bits = SmallGemm.Bits;
    private readonly int _width = WorkerPool.Width;
    private readonly bool _enabled = SmallChannelFilterGradient.Enabled;

    public void Dispose()
    {
        _backend.Dispose();
        SmallGemm.Bits = _bits;
        WorkerPool.Width = _width;
        SmallChannelFilterGradient.Enabled = _enabled;
    }

    /// <summary>batch, channels, filters, height, width, kernel, pad, height stride, dilation.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int> Layouts => new()
    {
        { 3, 3, 32, 32, 32, 3, 1, 1, 1 },  // the bench case's shape (an RGB first layer), smaller batch
        { 2, 3, 5, 9, 11, 3, 0, 1, 1 },    // one-vector rows, no padding, dy copied (9-wide output)
        { 2, 3, 7, 17, 17, 3, 1, 1, 1 },   // a one-lane second vector, rows not a whole block
        { 3, 3, 4, 16, 20, 3, 2, 1, 1 },   // padding 2: the output is wider than the input
        { 2, 3, 3, 12, 13, 3, 2, 1, 2 },   // dilation 2
        { 2, 3, 6, 15, 14, 3, 1, 2, 1 },   // height stride 2: backward filter only
        { 3, 6, 16, 14, 14, 5, 0, 1, 1 },  // LeNet conv2: 6 channels × 4 vectors, backward data only
        { 2, 4, 5, 18, 21, 3, 1, 1, 1 },   // 4 channels (two unused accumulator rows), two-vector rows
        { 2, 5, 3, 10, 7, 5, 4, 1, 1 },    // 5 channels, padding of the whole reach
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void BothGradientsMatchADoubleReferenceAndTheColumnPath(int batch, int channels, int filters, int height, int width, int kernel, int pad, int heightStride, int dilation)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the kernels never run on this CPU
        }
        int Out(int input, int stride) => (input + 2 * pad - (kernel - 1) * dilation - 1) / stride + 1;
        var l = new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit,
            new ConvolutionAxis(height, Out(height, heightStride), kernel, heightStride, pad, dilation),
            new ConvolutionAxis(width, Out(width, 1), kernel, 1, pad, dilation));
        SmallGemm.Bits = 512;
        SmallChannelFilterGradient.Enabled = true;
        Assert.Equal(channels == 3 && kernel == 3, SmallChannelFilterGradient.Applies<float>(l));
        Assert.Equal(heightStride == 1, SmallChannelDataGradient.Applies<float>(l));

        var rng = new Random(21);
        float[] x = MaskedLayouts.Random(rng, batch * channels * l.InputSize), w = MaskedLayouts.Random(rng, filters * l.ColumnRows);
        float[] dy = MaskedLayouts.Random(rng, batch * filters * l.OutputSize);
        (double[] dwRef, double[] dwScale, double[] dxRef, double[] dxScale) = DirectGradientTests.Reference(l, x, w, dy);

        var workspace = new ConvolutionWorkspace();
        var runs = new List<(float[] Dw, float[] Dx)>();
        foreach ((bool on, int pool) in new[] { (true, 1), (true, 2), (false, 2) })
        {
            SmallChannelFilterGradient.Enabled = on;
            WorkerPool.Width = pool;
            float[] dw = new float[w.Length + 1], dx = new float[x.Length + 1];
            dw[^1] = dx[^1] = 42; // past the end: must survive
            fixed (float* px = x, pw = w, pdy = dy, pdw = dw, pdx = dx)
            {
                ConvolutionKernels.Run(ConvolutionPass.BackwardFilter, false, l, DataType.Float32, (nint)px, (nint)pdw, (nint)pdy, workspace);
                ConvolutionKernels.Run(ConvolutionPass.BackwardData, false, l, DataType.Float32, (nint)pdx, (nint)pw, (nint)pdy, workspace);
            }
            Assert.Equal(42, dw[^1]);
            Assert.Equal(42, dx[^1]);
            DirectGradientTests.AssertNear(dwRef, dwScale, dw[..^1], $"dw, {(on ? "kernel" : "switch off")}, pool width {pool}");
            DirectGradientTests.AssertNear(dxRef, dxScale, dx[..^1], $"dx, {(on ? "kernel" : "switch off")}, pool width {pool}");
            runs.Add((dw, dx));
        }
        workspace.Release();
        Assert.Equal(runs[0].Dw, runs[1].Dw); // pool widths 1 and 2: the same bits
        Assert.Equal(runs[0].Dx, runs[1].Dx);
        Assert.NotEqual(0f, runs[0].Dw[0]);
    }

    /// <summary>
    /// The data gradient of a batch equals, bit for bit, that of the same samples cut into sub-batches
    /// (as the batch split and MPI ranks cut a step: 64 against 32 + 32, and odd cuts), at pool widths 1
    /// and 2, with the workspace's cached block and dx full of NaN beforehand (a stale padded border or an
    /// unwritten dx element would show), and dy as sparse as after ReLU and max pooling. LeNet-5's conv2
    /// and the RGB layer's shape.
    /// </summary>
    [Theory]
    [InlineData(64, 6, 16, 14, 14, 5, 0)]
    [InlineData(7, 3, 8, 32, 32, 3, 1)]
    [InlineData(9, 5, 3, 10, 7, 5, 4)]
    public void SubBatchesGiveTheBatchsBitsOverStaleScratch(int batch, int channels, int filters, int height, int width, int kernel, int pad)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the kernel never runs on this CPU
        }
        ConvolutionLayout Layout(int n) => new(n, channels, filters, 1, ConvolutionAxis.Unit,
            new ConvolutionAxis(height, height + 2 * pad - kernel + 1, kernel, 1, pad, 1), new ConvolutionAxis(width, width + 2 * pad - kernel + 1, kernel, 1, pad, 1));
        ConvolutionLayout l = Layout(batch);
        SmallGemm.Bits = 512;
        SmallChannelFilterGradient.Enabled = true;
        Assert.True(SmallChannelDataGradient.Applies<float>(l));
        var rng = new Random(5);
        float[] x = MaskedLayouts.Random(rng, batch * channels * l.InputSize), w = MaskedLayouts.Random(rng, filters * l.ColumnRows);
        float[] dy = MaskedLayouts.Random(rng, batch * filters * l.OutputSize);
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] = rng.Next(4) == 0 ? dy[i] : 0; // three in four zero, as ReLU and 2×2 max pooling leave it
        }
        (_, _, double[] dxRef, double[] dxScale) = DirectGradientTests.Reference(l, x, w, dy);

        var workspace = new ConvolutionWorkspace();
        CpuStorage stale = workspace.Rent<float>(1 << 20);
        new Span<float>((void*)stale.Pointer, 1 << 20).Fill(float.NaN);
        workspace.Return(stale);
        float[] Run(int pool, int[] cuts)
        {
            WorkerPool.Width = pool;
            float[] dx = new float[x.Length];
            Array.Fill(dx, float.NaN);
            fixed (float* pw = w, pdy = dy, pdx = dx)
            {
                for (int c = 0, start = 0; c < cuts.Length; start += cuts[c], c++)
                {
                    ConvolutionLayout part = Layout(cuts[c]);
                    SmallChannelDataGradient.Run(part, pdy + (long)start * filters * l.OutputSize, pw, pdx + (long)start * channels * l.InputSize, workspace);
                }
            }
            return dx;
        }
        float[] whole = Run(2, [batch]);
        DirectGradientTests.AssertNear(dxRef, dxScale, whole, "dx, whole batch");
        Assert.Equal(whole, Run(1, [batch]));
        Assert.Equal(whole, Run(2, [batch / 2, batch - batch / 2]));
        Assert.Equal(whole, Run(1, [1, batch - 2, 1]));
        Assert.Equal(whole, Run(2, [.. Enumerable.Repeat(1, batch)]));
        workspace.Release();
    }

    [Fact]
    public void OtherShapesKeepTheirPaths()
    {
        SmallGemm.Bits = 512;
        SmallChannelFilterGradient.Enabled = true;
        var axis = new ConvolutionAxis(32, 32, 3, 1, 1, 1);
        Assert.False(SmallChannelFilterGradient.Applies<float>(new ConvolutionLayout(2, 4, 8, 1, ConvolutionAxis.Unit, axis, axis))); // 4 channels
        Assert.False(SmallChannelDataGradient.Applies<float>(new ConvolutionLayout(2, 3, 9, 3, ConvolutionAxis.Unit, axis, axis)));  // grouped
        var wide = new ConvolutionAxis(40, 40, 3, 1, 1, 1);
        Assert.False(SmallChannelFilterGradient.Applies<float>(new ConvolutionLayout(2, 3, 8, 1, ConvolutionAxis.Unit, axis, wide))); // rows over 2 vectors
        SmallChannelFilterGradient.Enabled = false;
        Assert.False(SmallChannelFilterGradient.Applies<float>(new ConvolutionLayout(2, 3, 8, 1, ConvolutionAxis.Unit, axis, axis)));
        Assert.False(SmallChannelDataGradient.Applies<float>(new ConvolutionLayout(2, 3, 8, 1, ConvolutionAxis.Unit, axis, axis)));
    }
}
