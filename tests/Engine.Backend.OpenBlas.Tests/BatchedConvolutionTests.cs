namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The small-output forward path (<see cref="BatchedConvolution"/>: several samples' columns in one
/// product, built a slice of channels at a time) against the plain path (one product per sample) with
/// the path forced off: bit for bit, because every output is the same chain of fused multiply-adds in
/// the same order. Also across group sizes and thread counts, with and without an epilogue. On a CPU
/// without AVX-512 the packed kernel is off and the path never applies, which is checked instead.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class BatchedConvolutionTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS
    private readonly bool? _forced = BatchedConvolution.Forced;
    private readonly bool? _winograd = WinogradConvolution.Forced;
    private readonly int _target = BatchedConvolution.TargetColumns;
    private readonly int _width = WorkerPool.Width;
    private readonly bool? _phaseRows = PhaseRowConvolution.Forced;

    public void Dispose()
    {
        PhaseRowConvolution.Forced = _phaseRows;
        BatchedConvolution.Forced = _forced;
        WinogradConvolution.Forced = _winograd;
        BatchedConvolution.TargetColumns = _target;
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, size, filters, kernel, stride, pad
        { 5, 40, 7, 24, 3, 1, 1 },     // ResNet-18 stage 4 in small: 7×7 planes, an odd batch
        { 4, 19, 16, 32, 3, 2, 1 },    // stride 2 down to 8×8, channel slices with a remainder (14 + 5)
        { 3, 64, 14, 96, 1, 2, 0 },    // 1×1 stride-2 projection shortcut
        { 6, 33, 10, 17, 3, 1, 0 },    // odd filter count (a cut row sliver), no padding, 8×8
        { 2, 3, 20, 40, 7, 2, 3 },     // 7×7 stride-2 stem, several channels per slice
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BatchedEqualsThePlainPathBitForBit(int batch, int channels, int size, int filters, int kernel, int stride, int pad)
    {
        ConvolutionLayout l = Layout(batch, channels, size, filters, kernel, stride, pad);
        if (PackedGemm.Bits == 0)
        {
            Assert.False(BatchedConvolution.Applies<float>(l));
            return;
        }
        Assert.True(BatchedConvolution.Applies<float>(l));
        var rng = new Random(size * 31 + channels);
        float[] x = Values(rng, batch * channels * l.InputSize), w = Values(rng, filters * l.GroupRows);
        float[] scale = Values(rng, filters), shift = Values(rng, filters);
        foreach (bool epilogue in new[] { false, true })
        {
            float[] plain = Run(l, x, w, scale, shift, epilogue, batched: false, target: 512, threads: 1);
            Assert.Contains(plain, v => v != 0);
            foreach ((int target, int threads) in new[] { (512, 1), (512, 2), (64, 2), (100_000, 1) })
            {
                Assert.Equal(plain, Run(l, x, w, scale, shift, epilogue, batched: true, target, threads));
            }
        }
    }

    [Fact]
    public void TheSizeRulesChooseThePaths()
    {
        BatchedConvolution.Forced = null;
        WinogradConvolution.Forced = null;
        bool packed = PackedGemm.Bits != 0;
        // Small planes batch (ResNet-18's 7×7, ResNet-20's 8×8); 16×16 and up do not, nor one sample, nor double.
        Assert.Equal(packed, BatchedConvolution.Applies<float>(Layout(16, 512, 7, 512, 3, 1, 1)));
        Assert.Equal(packed, BatchedConvolution.Applies<float>(Layout(128, 64, 8, 64, 3, 1, 1)));
        Assert.False(BatchedConvolution.Applies<float>(Layout(128, 32, 16, 32, 3, 1, 1)));
        Assert.False(BatchedConvolution.Applies<float>(Layout(1, 512, 7, 512, 3, 1, 1)));
        Assert.False(BatchedConvolution.Applies<double>(Layout(16, 512, 7, 512, 3, 1, 1)));
        BatchedConvolution.Forced = false;
        Assert.False(BatchedConvolution.Applies<float>(Layout(16, 512, 7, 512, 3, 1, 1)));
        // 16 samples of 7×7 at 512 columns: two groups of 8 rather than 10 + 6.
        Assert.Equal(8, BatchedConvolution.SamplesPerGroup(Layout(16, 512, 7, 512, 3, 1, 1)));
        Assert.Equal(14, BatchedConvolution.ChannelsPerSlice(Layout(16, 512, 7, 512, 3, 1, 1)));
        // Winograd forward only from 32 channels on planes of 24×24 and up; backward data keeps the wider rule.
        ConvolutionLayout cifar = Layout(128, 16, 32, 16, 3, 1, 1);
        Assert.False(WinogradConvolution.Applies<float>(cifar, ConvolutionPass.Forward));
        Assert.True(WinogradConvolution.Applies<float>(cifar, ConvolutionPass.BackwardData));
        Assert.True(WinogradConvolution.Applies<float>(Layout(128, 32, 32, 32, 3, 1, 1), ConvolutionPass.Forward));
        Assert.False(WinogradConvolution.Applies<float>(Layout(128, 64, 16, 64, 3, 1, 1), ConvolutionPass.Forward));
    }

    private float[] Run(ConvolutionLayout l, float[] x, float[] w, float[] scale, float[] shift, bool epilogue, bool batched, int target, int threads)
    {
        BatchedConvolution.Forced = batched;
        BatchedConvolution.TargetColumns = target;
        WinogradConvolution.Forced = false;
        PhaseRowConvolution.Forced = false; // the 7×7 stem's own kernel (PhaseRowConvolutionTests)
        WorkerPool.Width = threads;
        float[] y = new float[l.Batch * l.Filters * l.OutputSize];
        var workspace = new ConvolutionWorkspace();
        try
        {
            fixed (float* px = x, pw = w, py = y, ps = scale, pb = shift)
            {
                var apply = epilogue ? new ConvolutionEpilogue((nint)ps, (nint)pb, Activation.Relu, 0) : default;
                ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)px, (nint)pw, (nint)py, workspace, apply);
            }
        }
        finally
        {
            workspace.Release();
        }
        return y;
    }

    /// <summary>A square 2-D layout (also used by <see cref="BatchedConvolutionBackwardTests"/>).</summary>
    internal static ConvolutionLayout Layout(int batch, int channels, int size, int filters, int kernel, int stride, int pad)
    {
        var axis = new ConvolutionAxis(size, (size + 2 * pad - kernel) / stride + 1, kernel, stride, pad, 1);
        return new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
    }

    /// <summary>Uniform values in [−1, 1).</summary>
    internal static float[] Values(Random rng, int count)
    {
        float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return v;
    }
}
