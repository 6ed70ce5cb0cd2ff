namespace Engine.Backend.OpenBlas;

/// <summary>
/// Backward data of the stride-1 layers the forward tile takes, on that tile: at stride 1, padding 1, dx = dy ⋆ w′ is itself
/// a 3×3 padding-1 convolution of dy (see <see cref="DirectDataGradient"/>), with channels and filters swapped and every filter
/// flipped, w′[c][f][ky][kx] = w[f][c][2 − ky][2 − kx]. So the filters of w′ (the layer's channels) go along the vector, dy is
/// read in place and the products of the padding are skipped, as forward does.
/// </summary>
/// <remarks>
/// Each dx value is one FMA chain over (filter, tap row, tap column) from +0, where im2col + GEMM + col2im (the reference)
/// adds the nine taps' partial sums in tap order and Winograd transforms them: the results differ from those paths by rounding
/// only, and do not depend on the thread count (one sample per item). The flipped, transposed filters are packed per call
/// (backward has no cache key for them; 0.6 MB for 128 × 128 filters, under 1 % of the pass). A weight that is not finite
/// declines, as forward does. <c>ENGINE_ROW_FILTER_BACKWARD=on|off</c>: on takes every stride-1 layer the tile fits, off none;
/// unset, <see cref="BackwardDataWorthwhile"/> decides.
/// </remarks>
internal static unsafe partial class RowFilterConvolution
{
    /// <summary>Whether the size rule decides (null), or backward data here is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare it with the other paths in one process.</remarks>
    public static bool? BackwardDataForced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_ROW_FILTER_BACKWARD"));

    /// <summary>Whether backward data of <paramref name="l"/> runs here.</summary>
    public static bool AppliesBackwardData<T>(in ConvolutionLayout l) where T : unmanaged =>
        BackwardDataForced != false && (l.Height.Stride == 1
            ? Fits<T>(l) && (BackwardDataForced == true || BackwardDataWorthwhile(l))
            : FitsStride2BackwardData<T>(l) && (BackwardDataForced == true || l.Channels >= 8));

    /// <summary>
    /// The size rule (<c>Engine.Bench.Kernels --quick-train-convs</c>, one thread, batch 128, against the path before it): 8×8
    /// planes 1.7–2.0× faster than im2col + GEMM + col2im (VGG-CIFAR's 64 → 128 and 128 → 128, ResNet-20's 64 → 64), 16×16
    /// 1.3–1.4× faster than Winograd (VGG-CIFAR's 32 → 64 and 64 → 64, ResNet-20's 32 → 32), ResNet-20's 16 → 16 at 32×32 1.07×;
    /// but VGG-CIFAR's 32 → 32 at 32×32 is 1.1–1.3× faster by Winograd, which keeps layers of 32 or more channels and filters
    /// on planes of 24 or more (as its forward rule). Not the RGB first layers (their input gradient is not asked for).
    /// </summary>
    internal static bool BackwardDataWorthwhile(in ConvolutionLayout l) =>
        l.Channels >= 8 && !(l.Channels >= 32 && l.Filters >= 32 && l.Height.Output >= 24 && l.Width.Output >= 24);

    /// <summary>
    /// dx ← dy ⋆ w′ for the whole batch (dx overwritten), one sample per item of the <see cref="WorkerPool"/>; false (nothing
    /// written) when a weight is not finite.
    /// </summary>
    public static bool TryBackwardData(in ConvolutionLayout l, float* dy, float* w, float* dx, ConvolutionWorkspace workspace)
    {
        if (l.Height.Stride == 2)
        {
            // RowFilterConvolution.Stride2DataGradient.cs: the column path's products exactly, so no weight declines.
            RunTransposed(l, dy, w, dx, workspace, flip: false, &Stride2Sample);
            return true;
        }
        if (!AllFinite(w, (long)l.Filters * l.ColumnRows))
        {
            return false;
        }
        RunTransposed(l, dy, w, dx, workspace, flip: true, &Sample);
        return true;
    }

    /// <summary>
    /// Packs the transposed layout's weights (flipped for stride 1's forward tile) and runs <paramref name="sample"/> over the
    /// batch, one sample per item of the <see cref="WorkerPool"/>. Job: X = dy, Y = dx, Channels = the layer's filters (dy's
    /// planes), Filters = the layer's channels (dx's planes), Height × Width = dy's plane, Stride = the layer's.
    /// </summary>
    private static void RunTransposed(in ConvolutionLayout l, float* dy, float* w, float* dx, ConvolutionWorkspace workspace, bool flip,
        delegate*<void*, int, int, void> sample)
    {
        ConvolutionLayout t = DirectDataGradient.Transposed(l);
        CpuStorage block = workspace.Rent<float>(WeightFloats(t));
        try
        {
            float* packed = (float*)block.Pointer;
            PackTransposed(l, w, packed, flip);
            var job = new Job
            {
                X = dy,
                Y = dx,
                Packed = packed,
                Prefetch = Prefetch,
                Channels = l.Filters,
                Height = l.Height.Output,
                Width = l.Width.Output,
                Stride = l.Height.Stride,
                Filters = l.Channels,
                GroupFloats = GroupFloats(t),
            };
            WorkerPool.For(l.Batch, Math.Max(1, Math.Min(WorkerPool.Width, l.Batch)), sample, &job);
        }
        finally
        {
            workspace.Return(block);
        }
    }

    /// <summary>
    /// w (filters × channels·9) as the transposed layout's packed weights: [group of 32 channels][filter][tap row][tap column][the
    /// group's width], zero past the last channel (as <see cref="Pack"/> lays out the forward filters); each filter flipped
    /// (w′[c][f][ky][kx] = w[f][c][2 − ky][2 − kx], stride 1's forward over dy) when <paramref name="flip"/>.
    /// </summary>
    internal static void PackTransposed(in ConvolutionLayout l, float* w, float* packed, bool flip)
    {
        ConvolutionLayout t = DirectDataGradient.Transposed(l);
        long groupFloats = GroupFloats(t);
        new Span<float>(packed, checked((int)WeightFloats(t))).Clear();
        for (int c = 0; c < l.Channels; c++)
        {
            int g = c / Group, width = GroupWidth(t, g);
            float* dst = packed + g * groupFloats + c % Group;
            for (int f = 0; f < l.Filters; f++)
            {
                float* src = w + (long)f * l.ColumnRows + c * 9;
                for (int tap = 0; tap < 9; tap++)
                {
                    dst[((long)f * 9 + tap) * width] = src[flip ? 8 - tap : tap];
                }
            }
        }
    }
}
