namespace Engine.Backend.OpenBlas;

/// <summary>
/// Forward convolutions whose output planes are small (ResNet-18's 7×7 and 14×14, CIFAR ResNet-20's and
/// VGG-CIFAR's 8×8 and 16×16): several samples' column matrices side by side as one product on the
/// packed GEMM (<see cref="PackedGemm"/>) instead of one product per sample only 49–256 columns wide.
/// Per product the packed kernel repacks the filters (9 MB for ResNet-18's 512-channel layers, more
/// than the sample's columns) and runs a ragged last sliver of columns through its edge copy; over a
/// group of samples both are paid once.
/// </summary>
/// <remarks>
/// <para>The group's column matrix is built and multiplied a slice of channels at a time (about
/// <see cref="PackedGemm.KC"/> tap rows, one depth step of the packed kernel), accumulating into an
/// output panel (filters × the group's positions), so the columns of many samples never leave the
/// second-level cache; the panel is then copied to each sample's output with the epilogue applied.</para>
/// <para>Each output is one chain of fused multiply-adds over the tap rows in order, from 0, exactly as in
/// the per-sample product on the packed kernel (which reloads its partial sums from C at every depth
/// step just as the slices do), so the result is bit for bit the plain path's (BatchedConvolutionTests).
/// The grouping depends only on the layout, never on the thread count.
/// <c>ENGINE_BATCHED_CONV=on|off</c> forces the path wherever it fits, or off.</para>
/// </remarks>
internal static unsafe class BatchedConvolution
{
    /// <summary>Whether the size rule decides (null), or the path is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both paths in one process.</remarks>
    public static bool? Forced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_BATCHED_CONV"));

    /// <summary>Columns (positions of the group's samples) one product aims for.</summary>
    internal static int TargetColumns { get; set; } = 512;

    /// <summary>
    /// Whether the filters are kept packed in the GEMM's panel layout between calls (<see cref="DerivedFilters"/>, while the weights'
    /// version is unchanged) instead of packed again by every group's products (9 MB per group on ResNet-18's 512-channel layers):
    /// <c>ENGINE_BATCHED_PREPACK=on|off</c>, default on. The kernel reads the same floats in the same order: the same bits.
    /// </summary>
    public static bool Prepack { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_BATCHED_PREPACK")) ?? true;

    /// <summary>Output planes of this many positions or more fill the packed kernel by themselves (the size rule).</summary>
    private const int MaxPositions = 256;

    /// <summary>
    /// Whether forward of <paramref name="l"/> runs here: float, one group, 2-D, per-sample products that
    /// the packed kernel takes (so the bits match the plain path), at least two samples, and small output
    /// planes (any size when forced on).
    /// </summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        typeof(T) == typeof(float) && Forced != false && l.Groups == 1 && l.Depth.Output == 1 && l.Depth.Kernel == 1
        && l.Batch >= 2 && !l.IsPointwise && l.Height.Dilation == 1 && l.Width.Dilation == 1
        && PackedGemm.Takes(l.Filters, l.OutputSize, l.GroupRows)
        && (Forced == true || l.OutputSize < MaxPositions);

    /// <summary>
    /// Samples per product: about <see cref="TargetColumns"/> positions, evened out over the batch so the
    /// groups are the same size (16 samples of 7×7 go as 2 × 8, not 10 + 6).
    /// </summary>
    internal static int SamplesPerGroup(in ConvolutionLayout l)
    {
        int target = Math.Max(1, (TargetColumns + l.OutputSize / 2) / l.OutputSize);
        int groups = (l.Batch + target - 1) / target;
        return (l.Batch + groups - 1) / groups;
    }

    /// <summary>Channels per slice of the column matrix: their tap rows make about one depth step of the packed kernel.</summary>
    internal static int ChannelsPerSlice(in ConvolutionLayout l) => Math.Clamp(PackedGemm.KC / l.KernelVolume, 1, l.Channels);

    /// <summary>y = conv(x, w), then the epilogue, for a layout that <see cref="Applies{T}"/>.</summary>
    /// <remarks>With <see cref="Prepack"/>, w's packed panels come from <paramref name="filterStorage"/>'s cache while w is unchanged.</remarks>
    public static void Forward(in ConvolutionLayout l, float* x, float* w, float* y, ConvolutionWorkspace workspace, ConvolutionEpilogue epilogue,
        CpuStorage? filterStorage = null)
    {
        int together = SamplesPerGroup(l);
        int groups = (l.Batch + together - 1) / together;
        int slice = ChannelsPerSlice(l);
        float* packedW = null;
        if (Prepack && filterStorage is not null)
        {
            var key = new DerivedFilters.Key(DerivedFilters.BatchedPack, PackedGemm.WholeAFloats(l.Filters, l.GroupRows), ((long)slice << 16) + PackedGemm.Bits);
            long version = DerivedFilters.VersionOf(filterStorage);
            packedW = DerivedFilters.Find(filterStorage, key);
            if (packedW is null)
            {
                var pack = new PackJob { Layout = l, W = w, Slice = slice };
                DerivedFilters.Keep(filterStorage, version, key, &PackFilters, &pack); // kept from the second call at one version
            }
        }
        long columns = (long)together * l.OutputSize;
        long perWorker = columns * ((long)slice * l.KernelVolume + l.Filters);
        int width = Math.Max(1, Math.Min(WorkerPool.Width, groups));
        CpuStorage block = workspace.Rent<float>(width * perWorker);
        try
        {
            var job = new Job
            {
                Layout = l,
                X = x,
                W = w,
                PackedW = packedW,
                Y = y,
                Scratch = (float*)block.Pointer,
                PerWorker = perWorker,
                Together = together,
                Slice = slice,
                Epilogue = epilogue,
            };
            WorkerPool.For(groups, width, &Group, &job);
        }
        finally
        {
            workspace.Return(block);
        }
    }

    /// <summary>What <see cref="PackFilters"/> packs.</summary>
    private struct PackJob
    {
        public ConvolutionLayout Layout;
        public float* W;
        public int Slice;
    }

    /// <summary>
    /// w's columns of each slice of channels in <see cref="PackedGemm.PackWholeA"/>'s layout, slice after slice: the slice
    /// from channel c0 starts at <see cref="PackedGemm.WholeAFloats"/>(filters, c0·taps), as <see cref="Group"/> reads it.
    /// </summary>
    private static void PackFilters(void* state, float* packed, long floats)
    {
        ref PackJob job = ref *(PackJob*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        int taps = l.KernelVolume;
        for (int c0 = 0; c0 < l.Channels; c0 += job.Slice)
        {
            int depth = Math.Min(job.Slice, l.Channels - c0) * taps;
            PackedGemm.PackWholeA(l.Filters, depth, job.W + (long)c0 * taps, l.GroupRows, 1, packed + PackedGemm.WholeAFloats(l.Filters, c0 * taps));
        }
    }

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, W, PackedW, Y, Scratch; // PackedW: w as PackFilters lays it out, or null
        public long PerWorker;
        public int Together, Slice;
        public ConvolutionEpilogue Epilogue;
    }

    /// <summary>One group of samples: slice by slice, gather the group's tap rows side by side and accumulate their product into the panel; then copy out.</summary>
    private static void Group(void* state, int index, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, taps = l.KernelVolume, rows = l.GroupRows, filters = l.Filters;
        int n0 = index * job.Together, count = Math.Min(job.Together, l.Batch - n0), ld = count * positions;
        float* col = job.Scratch + worker * job.PerWorker;
        float* panel = col + (long)job.Together * positions * job.Slice * taps;
        for (int c0 = 0; c0 < l.Channels; c0 += job.Slice)
        {
            int channels = Math.Min(job.Slice, l.Channels - c0), depth = channels * taps;
            // The slice's channels as a layout of their own: im2col of it is rows [c0·taps, (c0 + channels)·taps) of the whole.
            ConvolutionLayout part = l with { Channels = channels, Filters = filters };
            for (int s = 0; s < count; s++)
            {
                float* xn = job.X + ((long)(n0 + s) * l.Channels + c0) * l.InputSize;
                Im2Col.Gather(part, xn, col + (long)s * positions, ld);
            }
            if (job.PackedW is not null)
            {
                PackedGemm.MultiplyPacked(filters, ld, depth, job.PackedW + PackedGemm.WholeAFloats(filters, c0 * taps), col, ld, 1, c0 > 0, panel, ld);
            }
            else
            {
                PackedGemm.Multiply(filters, ld, depth, job.W + (long)c0 * taps, rows, 1, col, ld, 1, c0 > 0, panel, ld);
            }
        }
        for (int s = 0; s < count; s++)
        {
            float* yn = job.Y + (long)(n0 + s) * filters * positions;
            for (int f = 0; f < filters; f++)
            {
                new ReadOnlySpan<float>(panel + (long)f * ld + s * positions, positions).CopyTo(new Span<float>(yn + (long)f * positions, positions));
            }
            job.Epilogue.Apply(yn, 1, filters, positions);
        }
    }
}
