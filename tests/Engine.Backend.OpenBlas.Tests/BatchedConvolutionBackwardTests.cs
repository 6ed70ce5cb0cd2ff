namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Training's backward passes with several samples per product (ConvolutionKernels.BatchedBackward.cs)
/// against the per-sample path with grouping forced off: dx and dw bit for bit, because every result
/// is the same chain of fused multiply-adds in the same order. Channel counts of CIFAR ResNet-20,
/// VGG-CIFAR and ResNet-18 layers (smaller batches), across group sizes and thread counts. On a CPU
/// without AVX-512 the packed kernel is off and grouping never applies, which is checked instead.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class BatchedConvolutionBackwardTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS
    private readonly bool? _forced = ConvolutionKernels.BatchedBackwardForced;
    private readonly bool? _winograd = WinogradConvolution.Forced;
    private readonly int _columns = ConvolutionKernels.BatchedBackwardColumns;
    private readonly int _width = WorkerPool.Width;
    private readonly bool? _rowFilterGradient = RowFilterConvolution.FilterGradientForced;

    public void Dispose()
    {
        RowFilterConvolution.FilterGradientForced = _rowFilterGradient;
        ConvolutionKernels.BatchedBackwardForced = _forced;
        WinogradConvolution.Forced = _winograd;
        ConvolutionKernels.BatchedBackwardColumns = _columns;
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, size, filters, kernel, stride, pad
        { 16, 64, 8, 64, 3, 1, 1 },    // ResNet-20 stage 3
        { 12, 64, 8, 128, 3, 1, 1 },   // VGG-CIFAR conv3a
        { 10, 32, 16, 64, 3, 2, 1 },   // ResNet-20's stride-2 step down to 8×8
        { 5, 80, 7, 48, 3, 1, 1 },     // 7×7 planes (ResNet-18 stage 4 in small), an odd batch
        { 6, 65, 10, 33, 3, 1, 0 },    // odd filter count, no padding, 8×8
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void GroupedEqualsThePerSamplePathBitForBit(int batch, int channels, int size, int filters, int kernel, int stride, int pad)
    {
        ConvolutionLayout l = Layout(batch, channels, size, filters, kernel, stride, pad);
        ConvolutionKernels.BatchedBackwardForced = true;
        ConvolutionKernels.BatchedBackwardColumns = 256;
        if (PackedGemm.Bits == 0)
        {
            Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, l));
            Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardFilter, l));
            return;
        }
        Assert.True(ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, l) > 1);
        Assert.True(ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardFilter, l) > 1);
        var rng = new Random(size * 31 + channels);
        float[] x = Values(rng, batch * channels * l.InputSize), w = Values(rng, filters * l.GroupRows);
        float[] dy = Values(rng, batch * filters * l.OutputSize);
        foreach (int threads in new[] { 1, 2 })
        {
            (float[] dx, float[] dw) plain = Run(l, x, w, dy, grouped: false, columns: 256, threads);
            Assert.Contains(plain.dx, v => v != 0);
            Assert.Contains(plain.dw, v => v != 0);
            foreach (int columns in new[] { 256, 128, 100_000 })
            {
                (float[] dx, float[] dw) grouped = Run(l, x, w, dy, grouped: true, columns, threads);
                Assert.Equal(plain.dx, grouped.dx);
                Assert.Equal(plain.dw, grouped.dw);
            }
        }
    }

    [Fact]
    public void TheSizeRuleChoosesTheGroups()
    {
        ConvolutionKernels.BatchedBackwardForced = null;
        ConvolutionKernels.BatchedBackwardColumns = 256;
        WorkerPool.Width = 1;
        int packed = PackedGemm.Bits != 0 ? 1 : 0;
        ConvolutionLayout stage4 = Layout(16, 512, 7, 512, 3, 1, 1), down = Layout(16, 256, 14, 512, 3, 2, 1), cifar = Layout(128, 64, 8, 64, 3, 1, 1);
        // ResNet-18's 7×7 planes (49 positions: a ragged sliver): backward data in groups of 4 (196 columns);
        // backward filter only where dw is over 8 MB (512 filters × 4,608 rows, not 2,304).
        Assert.Equal(1 + 3 * packed, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, stage4));
        Assert.Equal(1 + 3 * packed, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, down));
        Assert.Equal(1 + 3 * packed, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardFilter, stage4));
        Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardFilter, down));
        // 8×8 planes (two whole slivers), 16×16 and up, one sample, double: per sample.
        Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, cifar));
        Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardFilter, Layout(128, 128, 8, 128, 3, 1, 1)));
        Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, Layout(128, 32, 16, 32, 3, 1, 1)));
        Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, Layout(1, 512, 7, 512, 3, 1, 1)));
        Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<double>(ConvolutionPass.BackwardData, stage4));
        ConvolutionKernels.BatchedBackwardForced = false;
        Assert.Equal(1, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, stage4));
        // Forced on, 8×8 groups too: 10 samples at 512 columns as two groups of 5 rather than 8 + 2.
        ConvolutionKernels.BatchedBackwardForced = true;
        ConvolutionKernels.BatchedBackwardColumns = 512;
        Assert.Equal(1 + 4 * packed, ConvolutionKernels.SamplesPerBackwardProduct<float>(ConvolutionPass.BackwardData, Layout(10, 64, 8, 64, 3, 1, 1)));
    }

    private static (float[] Dx, float[] Dw) Run(ConvolutionLayout l, float[] x, float[] w, float[] dy, bool? grouped, int columns, int threads)
    {
        ConvolutionKernels.BatchedBackwardForced = grouped;
        ConvolutionKernels.BatchedBackwardColumns = columns;
        WinogradConvolution.Forced = false;
        RowFilterConvolution.FilterGradientForced = false; // the column path's filter gradient (the row × filter one is tested on its own)
        WorkerPool.Width = threads;
        float[] dx = new float[x.Length], dw = new float[w.Length];
        Array.Fill(dx, float.NaN); // both passes overwrite their output
        Array.Fill(dw, float.NaN);
        var workspace = new ConvolutionWorkspace();
        try
        {
            fixed (float* px = x, pw = w, pdy = dy, pdx = dx, pdw = dw)
            {
                ConvolutionKernels.Run(ConvolutionPass.BackwardData, false, l, DataType.Float32, (nint)pdx, (nint)pw, (nint)pdy, workspace);
                ConvolutionKernels.Run(ConvolutionPass.BackwardFilter, false, l, DataType.Float32, (nint)px, (nint)pdw, (nint)pdy, workspace);
            }
        }
        finally
        {
            workspace.Release();
        }
        return (dx, dw);
    }

    private static ConvolutionLayout Layout(int batch, int channels, int size, int filters, int kernel, int stride, int pad) =>
        BatchedConvolutionTests.Layout(batch, channels, size, filters, kernel, stride, pad);

    private static float[] Values(Random rng, int count) => BatchedConvolutionTests.Values(rng, count);
}
