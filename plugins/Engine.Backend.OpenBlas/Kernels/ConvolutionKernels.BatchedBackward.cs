using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Training's backward passes of convolutions with small output planes (ResNet-18's 7×7) with several
/// samples side by side in one product on the packed GEMM, as forward does in
/// <see cref="BatchedConvolution"/>: per sample, backward data's product col = wᵀ·dy is only 49
/// columns wide, a ragged last column sliver that goes through the packed kernel's edge copy, and
/// repacks the whole transposed filter bank (filters × channels·taps, 4.7 MB) for each sample;
/// backward filter's dw += dy·colᵀ is only 49 deep, so every sample reloads and stores all of dw.
/// </summary>
/// <remarks>
/// Each result is the same chain of fused multiply-adds as per sample (the packed kernel continues a
/// chain from C at every depth step, see <see cref="PackedGemm"/>): backward data's columns are
/// independent, and backward filter's depth runs over the samples of a range in the same order. So
/// the gradients are bit for bit the per-sample path's (<c>BatchedConvolutionBackwardTests</c>), which
/// stays as the reference. <c>ENGINE_BATCHED_CONV_BACKWARD=on|off</c> forces grouping wherever it fits
/// (any plane size), or turns it off.
/// </remarks>
internal static unsafe partial class ConvolutionKernels
{
    /// <summary>Whether the size rule decides (null), or grouping is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both paths in one process.</remarks>
    internal static bool? BatchedBackwardForced { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_BATCHED_CONV_BACKWARD"));

    /// <summary>Columns (positions of a group's samples) one backward product aims for.</summary>
    /// <remarks>
    /// 256: backward data writes a column panel of channels·taps × these columns that col2im then reads,
    /// which at 512 columns of VGG-CIFAR's 128-channel layer (2.4 MB) no longer stays in the second-level cache.
    /// </remarks>
    internal static int BatchedBackwardColumns { get; set; } = 256;

    /// <summary>Output planes of this many positions or more fill the packed kernel by themselves (as <see cref="BatchedConvolution"/>).</summary>
    private const int BatchedBackwardMaxPositions = 256;

    /// <summary>The packed kernel's column sliver at 512 bits (two vectors): a plane of a multiple of it leaves no ragged edge.</summary>
    private const int BatchedBackwardSliver = 32;

    /// <summary>Backward filter groups only from this many dw values (8 MB): below, reloading dw per sample measured no slower.</summary>
    private const long BatchedBackwardMinFilterValues = 1L << 21;

    /// <summary>
    /// Samples per backward product for <paramref name="pass"/>, or 1: float, one 2-D group with
    /// im2col and no column slicing, and both the per-sample and the grouped product on the packed
    /// kernel (so grouping cannot change which kernel, and so which bits, a product gets). Forced on,
    /// that is all; otherwise the size rule from <c>Engine.Bench.Kernels --quick-backward</c> (one
    /// thread, CPU clock, 2026-11-27): backward data groups planes under 256 positions that leave a
    /// ragged column sliver (ResNet-18's 7×7: 1.4–1.5× faster; the 8×8 planes of ResNet-20 and
    /// VGG-CIFAR, two whole slivers, measured 0.86–1.03×), backward filter only where dw is over
    /// 8 MB (ResNet-18's 512-filter 3×3 layers: 1.2×; smaller dw 0.85–1.04×).
    /// </summary>
    internal static int SamplesPerBackwardProduct<T>(ConvolutionPass pass, in ConvolutionLayout l) where T : unmanaged
    {
        if (typeof(T) != typeof(float) || BatchedBackwardForced == false || l.Groups != 1 || l.IsPointwise || l.Batch < 2
            || l.Depth.Output != 1 || l.Depth.Kernel != 1 || ColumnSlices.RowsPerSlice<T>(l) != 0
            || !(BatchedBackwardForced == true || Worthwhile(pass, l)))
        {
            return 1;
        }
        int target = Math.Max(1, (BatchedBackwardColumns + l.OutputSize / 2) / l.OutputSize);
        int groups = (l.Batch + target - 1) / target;
        int together = (l.Batch + groups - 1) / groups;
        if (together < 2)
        {
            return 1;
        }
        int positions = l.OutputSize, wide = together * positions;
        return pass == ConvolutionPass.BackwardData
            ? OnPacked(false, l.GroupRows, positions, l.Filters) && OnPacked(false, l.GroupRows, wide, l.Filters) ? together : 1
            : OnPacked(true, l.Filters, l.GroupRows, positions) && OnPacked(true, l.Filters, l.GroupRows, wide) ? together : 1;
    }

    private static bool Worthwhile(ConvolutionPass pass, in ConvolutionLayout l) =>
        l.OutputSize < BatchedBackwardMaxPositions && (pass == ConvolutionPass.BackwardData
            ? l.OutputSize % BatchedBackwardSliver != 0
            : (long)l.Filters * l.GroupRows >= BatchedBackwardMinFilterValues);

    /// <summary>Whether <see cref="GemmKernel.Block{T}"/> sends an m×n product of depth k (A·Bᵀ when <paramref name="transposedB"/>) to the packed kernel.</summary>
    private static bool OnPacked(bool transposedB, int m, int n, int k) =>
        PackedGemm.Takes(m, n, k) && (transposedB ? !SmallGemm.TakesTransposedB(m, n, k) : !SmallGemm.Takes(m, n, k));

    /// <summary>
    /// Backward data of samples [chunk·s, chunk·s + s): their dy copied side by side (filters × s·P),
    /// one product col = wᵀ·dy (channels·taps × s·P), then each sample's dx cleared and col2im'd from
    /// its columns.
    /// </summary>
    private static void BackwardDataTogether<T>(ref ConvolutionJob<T> job, int chunk, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.Filters, sampleSize = l.Channels * l.InputSize;
        int n0 = chunk * job.Together, count = Math.Min(job.Together, l.Batch - n0), ld = count * positions;
        T* col = job.Columns + worker * job.ColumnsPerWorker;
        T* dyPanel = col + (long)job.Together * rows * positions;
        for (int s = 0; s < count; s++)
        {
            CopyRows(job.Y + (long)(n0 + s) * filters * positions, dyPanel + (long)s * positions, filters, positions, ld);
        }
        GemmKernel.Block(true, false, rows, ld, filters, job.W, rows, dyPanel, ld, false, col, ld);
        for (int s = 0; s < count; s++)
        {
            T* dxn = job.X + (long)(n0 + s) * sampleSize;
            new Span<T>(dxn, sampleSize).Clear();
            Im2Col.Scatter(l, col + (long)s * positions, dxn, ld, 0, l.Height.Output);
        }
    }

    /// <summary>Copies <paramref name="count"/> rows of <paramref name="length"/> values, contiguous in the source, to rows <paramref name="ld"/> apart.</summary>
    private static void CopyRows<T>(T* source, T* target, int count, int length, long ld) where T : unmanaged
    {
        for (int r = 0; r < count; r++)
        {
            new ReadOnlySpan<T>(source + (long)r * length, length).CopyTo(new Span<T>(target + r * ld, length));
        }
    }
}
