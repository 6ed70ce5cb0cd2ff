using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Backward filter of 3×3, padding-1, stride-1 or -2 float32 layers on AVX-512 with filters along the vector, as the forward
/// tile: dw[f][c][ky][kx] = Σ_n Σ_(oy,ox) dy[n][f][oy][ox] · x[n][c][stride·oy + ky − 1][stride·ox + kx − 1], the products whose
/// x falls in the padding skipped. dy is transposed per sample to positions × filters so that a position's 32 filters are two
/// vectors; a register tile holds 32 filters × 12 (channel, tap) pairs — four channels × the three tap columns of one tap row —
/// in 24 accumulators; per output position it loads the two dy vectors and broadcasts the 12 inputs the pairs read: 14 loads
/// per 24 FMAs (a layer of 16 filters whose channels are a multiple of 8, ResNet-20's first stage: 8 channels × 3 tap columns ×
/// one vector, 1 load and 24 broadcasts). The first output column skips tap column 0, the last (stride 1) tap column 2; tap row
/// 0 skips the first output row, tap row 2 (stride 1) the last. While a block runs, its items prefetch the next block's x and dy
/// into the second-level cache (with <see cref="Prefetch"/>, <c>ENGINE_ROW_FILTER_PREFETCH</c>).
/// </summary>
/// <remarks>
/// <para>The batch is cut into blocks of samples whose x and transposed dy fit the second-level cache (a size fixed by the layout,
/// <see cref="FilterGradientBlock"/>). Each dw value is, per block, one FMA chain from +0 over the block's samples in order, then
/// the output positions row by row; the blocks' sums are added in order to a running sum from +0 (a chain of 2–16 samples, not
/// the whole batch's 131,072 products of a 32×32 layer, so the rounding error stays below the column path's). The items (32-filter
/// group, four channels, tap row) are split into one contiguous range per worker (a lane, one <see cref="WorkerPool"/> item); a lane
/// goes through the blocks on its own, transposing the dy of its filter groups into its own buffer and adding its items' block
/// sums to their running sums: no wait between blocks (a loop per block, transposes beside items, ran 1.1–1.6× slower at two
/// threads), the transposes of a single-group layer done by each lane. An item's chain does not depend on which lane runs it, so
/// the bits do not depend on the thread count; dw is written from the running sums at the end.</para>
/// <para>A skipped link is fma(dy, 0, acc): acc + (±0) = acc when dy is finite (acc is never −0: it starts at +0, and an
/// exact zero sum rounds to +0 unless both terms are −0). A non-finite dy would make that link NaN, which im2col's chain keeps:
/// the transpose checks dy as it reads it, and a call whose dy is not all finite declines (nothing written; the caller takes
/// another path). x needs no check: its products are in both chains. The im2col path (the reference) sums each sample's
/// positions in another grouping and Winograd transforms them: the results differ from those by rounding only.</para>
/// <para><c>ENGINE_ROW_FILTER_FILTER_GRADIENT=on|off</c>: on takes every layer the kernel fits, off none; unset,
/// <see cref="FilterGradientWorthwhile"/> decides.</para>
/// </remarks>
internal static unsafe partial class RowFilterConvolution
{
    /// <summary>Whether the size rule decides (null), or backward filter here is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare it with the other paths in one process.</remarks>
    public static bool? FilterGradientForced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_ROW_FILTER_FILTER_GRADIENT"));

    /// <summary>Bytes of x and transposed dy per block of samples (the second-level cache is 1 MB a core here); settable for measurements.</summary>
    internal static int FilterGradientBlockBytes { get; set; } = 512 * 1024;

    /// <summary>Floats ahead of the 16 positions being transposed that each filter row is prefetched (eight lines).</summary>
    private const int TransposeAhead = 128;

    /// <summary>Channels of the register tile (× 3 tap columns × 2 vectors of filters = 24 accumulators).</summary>
    private const int TileChannels = 4;

    /// <summary>Floats of one item's running sums: 4 channels × 3 tap columns × 32 filters (or 8 × 3 × 16, <see cref="Narrow"/>).</summary>
    private const int ItemFloats = TileChannels * 3 * Group;

    /// <summary>
    /// Whether the items hold 8 channels × 3 tap columns × one vector of 16 filters (24 accumulators, 1 load and 24 broadcasts per
    /// position) instead of 4 × 3 × 16 (12): a layer of 16 filters whose channels are a multiple of 8 (ResNet-20's first stage).
    /// </summary>
    private static bool Narrow(in ConvolutionLayout l) => l.Filters == 16 && l.Channels % (2 * TileChannels) == 0;

    /// <summary>Channels of an item: 8 when <see cref="Narrow"/>, else 4.</summary>
    private static int ItemChannels(in ConvolutionLayout l) => Narrow(l) ? 2 * TileChannels : TileChannels;

    /// <summary>Whether backward filter of <paramref name="l"/> runs here.</summary>
    public static bool AppliesFilterGradient<T>(in ConvolutionLayout l) where T : unmanaged =>
        FilterGradientForced != false && FitsFilterGradient<T>(l) && (FilterGradientForced == true || FilterGradientWorthwhile(l));

    /// <summary>
    /// What the kernel can do: float32 on AVX-512, one group, 2-D, 3×3, padding 1, stride 1 or 2 (as forward), output rows at least
    /// 2 wide, channels a multiple of 4 and filters a multiple of 16.
    /// </summary>
    internal static bool FitsFilterGradient<T>(in ConvolutionLayout l) where T : unmanaged =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && PackedGemm.Bits == 512
        && l.Groups == 1 && l.Depth.Kernel == 1 && l.Depth.Input == 1 && l.Depth.Output == 1 && l.Batch > 0
        && l.Channels % TileChannels == 0 && l.Channels > 0 && l.Filters % 16 == 0 && l.Filters > 0
        && AxisFits(l.Height) && AxisFits(l.Width) && l.Height.Stride == l.Width.Stride && l.Width.Output >= 2;

    /// <summary>
    /// The size rule (<c>Engine.Bench.Kernels --quick-train-convs</c>, benchmarks/NOTES.md helper <c>fgrad</c>): layers of 8 or more
    /// channels, but not those of 64 or more channels and filters on planes of 16 × 16 or more, where Winograd's filter gradient (a
    /// quarter of the products) ran 1.25–1.3× faster (VGG-CIFAR's 64 → 64 16 × 16: 16.1 against 20.1–21.2 ms, one thread). On every
    /// other 3×3 layer of VGG-CIFAR and ResNet-20 this kernel was as fast or faster than Winograd or im2col at one thread
    /// (1.03–1.6×, the 32 × 32 layers least; the stride-2 ones 1.6–2.3×) and at two (1.0–1.6×; stride 2 1.6–2.1×).
    /// </summary>
    internal static bool FilterGradientWorthwhile(in ConvolutionLayout l) =>
        l.Channels >= 8 && (l.Channels < 64 || l.Filters < 64 || l.Height.Output < 16 || l.Width.Output < 16);

    /// <summary>Samples per block: as many as fit <see cref="FilterGradientBlockBytes"/> with their transposed dy (at least one), by the layout alone.</summary>
    internal static int FilterGradientBlock(in ConvolutionLayout l) =>
        (int)Math.Clamp(FilterGradientBlockBytes / (4L * ((long)l.OutputSize * l.Filters + (long)l.Channels * l.InputSize)), 1, l.Batch);

    /// <summary>dw ← Σ_n dy ⋆ x (dw overwritten); false (nothing written) when a dy value is not finite.</summary>
    public static bool TryFilterGradient(in ConvolutionLayout l, float* x, float* dy, float* dw, ConvolutionWorkspace workspace)
    {
        int block = FilterGradientBlock(l), items = Groups(l) * (l.Channels / ItemChannels(l)) * 3;
        int lanes = Math.Max(1, Math.Min(WorkerPool.Width, items));
        long sums = (long)items * ItemFloats, transposed = (long)block * l.OutputSize * l.Filters;
        CpuStorage storage = workspace.Rent<float>(sums + lanes * transposed);
        try
        {
            float* buffer = (float*)storage.Pointer;
            new Span<float>(buffer, checked((int)sums)).Clear();
            var job = new FilterJob
            {
                X = x,
                Dy = dy,
                Sums = buffer,
                Transposed = buffer + sums,
                LaneFloats = transposed,
                Lanes = lanes,
                Items = items,
                Batch = l.Batch,
                Block = block,
                Channels = l.Channels,
                Filters = l.Filters,
                Height = l.Height.Output,
                Width = l.Width.Output,
                Stride = l.Height.Stride,
                InputWidth = l.Width.Input,
                InputPlane = l.InputSize,
                ChannelBlocks = l.Channels / ItemChannels(l),
                Narrow = Narrow(l),
            };
            WorkerPool.For(lanes, lanes, &Lane, &job);
            if (job.NotFinite != 0)
            {
                return false;
            }
            Unpack(l, buffer, dw);
        }
        finally
        {
            workspace.Return(storage);
        }
        return true;
    }

    /// <summary>What a call works on; each lane runs on its own copy, with its items, its filters and the block it is at.</summary>
    private struct FilterJob
    {
        public float* X, Dy, Sums, Transposed; // the batch's x and dy; in a lane's copy, X: the block's first sample, Transposed: the lane's buffer
        public float* NextDy, NextX;           // a lane's prefetches: the next block's
        public long NextDyFloats, NextXFloats, LaneFloats;
        public int Lanes, Items, ItemFirst, F0, F1, Batch, Block, First, Count; // a lane's items, filters [F0, F1), block [First, First + Count)
        public int Channels, Filters, Height, Width, Stride, InputWidth, InputPlane, ChannelBlocks;
        public int NotFinite;
        public bool Narrow;
    }

    /// <summary>
    /// Lane <paramref name="k"/>: a contiguous range of the items (ordered by filter group, then channels, then tap row), block by
    /// block: the dy of its filter groups transposed into its own buffer, then its items over the block.
    /// </summary>
    private static void Lane(void* state, int k, int worker)
    {
        ref FilterJob job = ref *(FilterJob*)state;
        FilterJob lane = job;
        int perGroup = 3 * job.ChannelBlocks, end = (int)((long)(k + 1) * job.Items / job.Lanes);
        lane.ItemFirst = (int)((long)k * job.Items / job.Lanes);
        lane.Items = end - lane.ItemFirst;
        lane.F0 = lane.ItemFirst / perGroup * Group;
        lane.F1 = Math.Min(job.Filters, ((end - 1) / perGroup + 1) * Group);
        lane.Transposed = job.Transposed + k * job.LaneFloats;
        long sampleX = (long)job.Channels * job.InputPlane, sampleDy = (long)job.Filters * job.Height * job.Width;
        for (int first = 0; first < job.Batch; first += job.Block)
        {
            lane.First = first;
            lane.Count = Math.Min(job.Block, job.Batch - first);
            for (int s = 0; s < lane.Count; s++)
            {
                TransposeSample(ref lane, s);
            }
            if (lane.NotFinite != 0)
            {
                job.NotFinite = 1;
                return;
            }
            // Prefetched while the items run: the next block's x and dy (whole samples: a lane's share of them is not contiguous).
            int next = Math.Min(job.Block, job.Batch - first - lane.Count);
            lane.X = job.X + first * sampleX;
            lane.NextX = lane.X + lane.Count * sampleX;
            lane.NextXFloats = Prefetch ? next * sampleX : 0;
            lane.NextDy = job.Dy + (first + lane.Count) * sampleDy;
            lane.NextDyFloats = Prefetch ? next * sampleDy : 0;
            for (int item = lane.ItemFirst; item < end; item++)
            {
                FilterItem(ref lane, item);
            }
        }
    }

    /// <summary>The running sums (per item [channel][tap column][32 filters, or 16 when <see cref="Narrow"/>]) into dw[f][c][ky][kx].</summary>
    private static void Unpack(in ConvolutionLayout l, float* sums, float* dw)
    {
        int channels = ItemChannels(l), blocks = l.Channels / channels, taps = l.ColumnRows, lanes = ItemFloats / 3 / channels;
        for (int f = 0; f < l.Filters; f++)
        {
            int g = f / Group, lane = f % Group;
            for (int c = 0; c < l.Channels; c++)
            {
                for (int ky = 0; ky < 3; ky++)
                {
                    float* item = sums + ((long)(g * blocks + c / channels) * 3 + ky) * ItemFloats + c % channels * 3 * lanes + lane;
                    float* to = dw + (long)f * taps + c * 9 + ky * 3;
                    to[0] = item[0];
                    to[1] = item[lanes];
                    to[2] = item[2 * lanes];
                }
            }
        }
    }

    /// <summary>
    /// dy of one sample of the next block, filters × positions, into positions × filters, by 16 × 16 transposes in registers (a
    /// plane's last positions past a multiple of 16 one by one); any value not finite sets <see cref="FilterJob.NotFinite"/>.
    /// </summary>
    private static void TransposeSample(ref FilterJob job, int s)
    {
        int plane = job.Height * job.Width, filters = job.Filters, row = filters;
        float* from = job.Dy + (long)(job.First + s) * filters * plane, to = job.Transposed + (long)s * plane * row;
        Vector512<float> check = Vector512<float>.Zero;
        int whole = plane & ~15;
        // Filter rows outer: 16 sequential streams (one per filter row), each read a few lines ahead.
        for (int f = job.F0; f < job.F1; f += 16)
        {
            float* rows = from + (long)f * plane;
            for (int q = 0; q < whole; q += 16)
            {
                if (Prefetch)
                {
                    for (int j = 0; j < 16; j++)
                    {
                        Sse.Prefetch0(rows + (long)j * plane + q + TransposeAhead);
                    }
                }
                check |= Transpose16(rows + q, plane, to + (long)q * row + f, row);
            }
        }
        int p = whole;
        for (; p < plane; p++)
        {
            float* t = to + (long)p * row;
            for (int f = job.F0; f < job.F1; f++)
            {
                float v = from[(long)f * plane + p];
                t[f] = v;
                if (!float.IsFinite(v))
                {
                    job.NotFinite = 1;
                }
            }
        }
        // v − v is +0 for a finite v and NaN otherwise; OR-ing the bits keeps any NaN's.
        if (!Vector512.EqualsAll(check.AsUInt32(), Vector512<uint>.Zero))
        {
            job.NotFinite = 1;
        }
    }

    /// <summary>
    /// 16 rows of 16 floats (<paramref name="from"/>, <paramref name="stride"/> apart) transposed into 16 rows
    /// <paramref name="step"/> apart; returns the OR of every v − v (all-zero bits when all were finite).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Transpose16(float* from, int stride, float* to, int step)
    {
        Vector512<float> r0 = Vector512.Load(from), r1 = Vector512.Load(from + stride), r2 = Vector512.Load(from + 2 * stride), r3 = Vector512.Load(from + 3 * stride);
        from += 4 * stride;
        Vector512<float> r4 = Vector512.Load(from), r5 = Vector512.Load(from + stride), r6 = Vector512.Load(from + 2 * stride), r7 = Vector512.Load(from + 3 * stride);
        from += 4 * stride;
        Vector512<float> r8 = Vector512.Load(from), r9 = Vector512.Load(from + stride), r10 = Vector512.Load(from + 2 * stride), r11 = Vector512.Load(from + 3 * stride);
        from += 4 * stride;
        Vector512<float> r12 = Vector512.Load(from), r13 = Vector512.Load(from + stride), r14 = Vector512.Load(from + 2 * stride), r15 = Vector512.Load(from + 3 * stride);
        Vector512<float> check = ((r0 - r0) | (r1 - r1)) | ((r2 - r2) | (r3 - r3)) | ((r4 - r4) | (r5 - r5)) | ((r6 - r6) | (r7 - r7))
            | ((r8 - r8) | (r9 - r9)) | ((r10 - r10) | (r11 - r11)) | ((r12 - r12) | (r13 - r13)) | ((r14 - r14) | (r15 - r15));
        // Pairs of rows interleaved, then within each 128-bit block k: s_m = column 4k + m of rows 0–3 (s_4+m of rows 4–7, …).
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        r0 = Avx512F.Shuffle(t0, t2, 0x44); r1 = Avx512F.Shuffle(t0, t2, 0xEE); r2 = Avx512F.Shuffle(t1, t3, 0x44); r3 = Avx512F.Shuffle(t1, t3, 0xEE);
        r4 = Avx512F.Shuffle(t4, t6, 0x44); r5 = Avx512F.Shuffle(t4, t6, 0xEE); r6 = Avx512F.Shuffle(t5, t7, 0x44); r7 = Avx512F.Shuffle(t5, t7, 0xEE);
        r8 = Avx512F.Shuffle(t8, t10, 0x44); r9 = Avx512F.Shuffle(t8, t10, 0xEE); r10 = Avx512F.Shuffle(t9, t11, 0x44); r11 = Avx512F.Shuffle(t9, t11, 0xEE);
        r12 = Avx512F.Shuffle(t12, t14, 0x44); r13 = Avx512F.Shuffle(t12, t14, 0xEE); r14 = Avx512F.Shuffle(t13, t15, 0x44); r15 = Avx512F.Shuffle(t13, t15, 0xEE);
        // 128-bit blocks: t_m = [column m of rows 0–3, column m + 8 of rows 0–3, the same of rows 4–7] (t_4+m: columns m + 4, m + 12).
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88); t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD); t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
        Avx512F.Shuffle4x128(t0, t8, 0x88).Store(to);
        Avx512F.Shuffle4x128(t1, t9, 0x88).Store(to + step);
        Avx512F.Shuffle4x128(t2, t10, 0x88).Store(to + 2 * step);
        Avx512F.Shuffle4x128(t3, t11, 0x88).Store(to + 3 * step);
        Avx512F.Shuffle4x128(t4, t12, 0x88).Store(to + 4 * step);
        Avx512F.Shuffle4x128(t5, t13, 0x88).Store(to + 5 * step);
        Avx512F.Shuffle4x128(t6, t14, 0x88).Store(to + 6 * step);
        Avx512F.Shuffle4x128(t7, t15, 0x88).Store(to + 7 * step);
        Avx512F.Shuffle4x128(t0, t8, 0xDD).Store(to + 8 * step);
        Avx512F.Shuffle4x128(t1, t9, 0xDD).Store(to + 9 * step);
        Avx512F.Shuffle4x128(t2, t10, 0xDD).Store(to + 10 * step);
        Avx512F.Shuffle4x128(t3, t11, 0xDD).Store(to + 11 * step);
        Avx512F.Shuffle4x128(t4, t12, 0xDD).Store(to + 12 * step);
        Avx512F.Shuffle4x128(t5, t13, 0xDD).Store(to + 13 * step);
        Avx512F.Shuffle4x128(t6, t14, 0xDD).Store(to + 14 * step);
        Avx512F.Shuffle4x128(t7, t15, 0xDD).Store(to + 15 * step);
        return check;
    }

    /// <summary>Six block sums (two channels × three tap columns, <paramref name="step"/> floats apart) added to the running sums at <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* sums, int step, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3, Vector512<float> s4, Vector512<float> s5)
    {
        (Vector512.Load(sums) + s0).Store(sums);
        (Vector512.Load(sums + step) + s1).Store(sums + step);
        (Vector512.Load(sums + 2 * step) + s2).Store(sums + 2 * step);
        (Vector512.Load(sums + 3 * step) + s3).Store(sums + 3 * step);
        (Vector512.Load(sums + 4 * step) + s4).Store(sums + 4 * step);
        (Vector512.Load(sums + 5 * step) + s5).Store(sums + 5 * step);
    }

    /// <summary>One item (32-filter group, four channels, tap row) over the block's samples.</summary>
    private static void FilterItem(ref FilterJob job, int item)
    {
        int ky = item % 3, rest = item / 3, cb = rest % job.ChannelBlocks, g = rest / job.ChannelBlocks;
        float* sums = job.Sums + (long)item * ItemFloats;
        float* dyT = job.Transposed + g * Group;
        if (job.Narrow)
        {
            Accumulate<No, Yes>(ref job, job.X + (long)cb * 2 * TileChannels * job.InputPlane, dyT, ky, sums, item);
            return;
        }
        float* x = job.X + (long)cb * TileChannels * job.InputPlane;
        if (job.Filters - g * Group > 16)
        {
            Accumulate<Yes, No>(ref job, x, dyT, ky, sums, item);
        }
        else
        {
            Accumulate<No, No>(ref job, x, dyT, ky, sums, item);
        }
    }

    // 4 channels × tap columns 0–2 of tap row ky × one or two vectors of 16 filters (TTwo): 12 or 24 running sums (a: the first
    // vector, b: the second); or (TEight, Narrow) 8 channels × tap columns 0–2 × one vector, b holding channels 4–7. x: the block's
    // first sample, the item's first channel; dyT: the block's transposed dy, the group's first filter.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate<TTwo, TEight>(ref FilterJob job, float* x, float* dyT, int ky, float* sums, int item)
        where TTwo : struct, IFlag where TEight : struct, IFlag
    {
        bool more = TTwo.On || TEight.On;
        // The block's chains start from +0 (added to the running sums at the end).
        Vector512<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        Vector512<float> b00 = default, b01 = default, b02 = default, b10 = default, b11 = default, b12 = default;
        Vector512<float> b20 = default, b21 = default, b22 = default, b30 = default, b31 = default, b32 = default;
        int height = job.Height, width = job.Width, stride = job.Stride, inWidth = job.InputWidth, row = job.Filters;
        long inPlane = job.InputPlane, sampleX = (long)job.Channels * inPlane, sampleDy = (long)height * width * row;
        // Output rows whose input row stride·oy + ky − 1 exists; the last output column's tap column 2 is padding at stride 1.
        int oy0 = ky == 0 ? 1 : 0, oy1 = stride == 1 && ky == 2 ? height - 1 : height, last = stride == 1 ? width - 1 : width;
        // This item's share of the next block's dy and x, a few lines per output row, into the second-level cache.
        long dyShare = (job.NextDyFloats / job.Items + 15) & ~15L, xShare = (job.NextXFloats / job.Items + 15) & ~15L;
        int share = item - job.ItemFirst;
        float* pd = job.NextDy + share * dyShare, pdEnd = job.NextDy + Math.Min(job.NextDyFloats, (share + 1) * dyShare);
        float* px = job.NextX + share * xShare, pxEnd = job.NextX + Math.Min(job.NextXFloats, (share + 1) * xShare);
        long rows = Math.Max(1, (long)job.Count * (oy1 - oy0));
        long dyStep = (dyShare / 16 + rows - 1) / rows * 16, xStep = (xShare / 16 + rows - 1) / rows * 16; // floats a row
        for (int n = 0; n < job.Count; n++, x += sampleX, dyT += sampleDy)
        {
            for (int oy = oy0; oy < oy1; oy++)
            {
                for (float* e = pd + dyStep < pdEnd ? pd + dyStep : pdEnd; pd < e; pd += 16) { Sse.Prefetch1(pd); }
                for (float* e = px + xStep < pxEnd ? px + xStep : pxEnd; px < e; px += 16) { Sse.Prefetch1(px); }
                float* xp = x + (long)(stride * oy + ky - 1) * inWidth, d = dyT + (long)oy * width * row;
                for (int ox = 0; ox < width; ox++, xp += stride, d += row)
                {
                    Vector512<float> d0 = Vector512.Load(d), d1 = TTwo.On ? Vector512.Load(d + 16) : d0;
                    float* xq = TEight.On ? xp + 4 * inPlane : xp; // b's inputs: channels 4–7, or a's
                    Vector512<float> s;
                    if (ox != 0)
                    {
                        s = Vector512.Create(xp[-1]); a00 = Fma(s, d0, a00); if (more) { b00 = Fma(TEight.On ? Vector512.Create(xq[-1]) : s, d1, b00); }
                        s = Vector512.Create(xp[inPlane - 1]); a10 = Fma(s, d0, a10); if (more) { b10 = Fma(TEight.On ? Vector512.Create(xq[inPlane - 1]) : s, d1, b10); }
                        s = Vector512.Create(xp[2 * inPlane - 1]); a20 = Fma(s, d0, a20); if (more) { b20 = Fma(TEight.On ? Vector512.Create(xq[2 * inPlane - 1]) : s, d1, b20); }
                        s = Vector512.Create(xp[3 * inPlane - 1]); a30 = Fma(s, d0, a30); if (more) { b30 = Fma(TEight.On ? Vector512.Create(xq[3 * inPlane - 1]) : s, d1, b30); }
                    }
                    s = Vector512.Create(xp[0]); a01 = Fma(s, d0, a01); if (more) { b01 = Fma(TEight.On ? Vector512.Create(xq[0]) : s, d1, b01); }
                    s = Vector512.Create(xp[inPlane]); a11 = Fma(s, d0, a11); if (more) { b11 = Fma(TEight.On ? Vector512.Create(xq[inPlane]) : s, d1, b11); }
                    s = Vector512.Create(xp[2 * inPlane]); a21 = Fma(s, d0, a21); if (more) { b21 = Fma(TEight.On ? Vector512.Create(xq[2 * inPlane]) : s, d1, b21); }
                    s = Vector512.Create(xp[3 * inPlane]); a31 = Fma(s, d0, a31); if (more) { b31 = Fma(TEight.On ? Vector512.Create(xq[3 * inPlane]) : s, d1, b31); }
                    if (ox != last)
                    {
                        s = Vector512.Create(xp[1]); a02 = Fma(s, d0, a02); if (more) { b02 = Fma(TEight.On ? Vector512.Create(xq[1]) : s, d1, b02); }
                        s = Vector512.Create(xp[inPlane + 1]); a12 = Fma(s, d0, a12); if (more) { b12 = Fma(TEight.On ? Vector512.Create(xq[inPlane + 1]) : s, d1, b12); }
                        s = Vector512.Create(xp[2 * inPlane + 1]); a22 = Fma(s, d0, a22); if (more) { b22 = Fma(TEight.On ? Vector512.Create(xq[2 * inPlane + 1]) : s, d1, b22); }
                        s = Vector512.Create(xp[3 * inPlane + 1]); a32 = Fma(s, d0, a32); if (more) { b32 = Fma(TEight.On ? Vector512.Create(xq[3 * inPlane + 1]) : s, d1, b32); }
                    }
                }
            }
        }
        if (TEight.On)
        {
            // [channel][tap column][16 filters]
            Add(sums, 16, a00, a01, a02, a10, a11, a12);
            Add(sums + 96, 16, a20, a21, a22, a30, a31, a32);
            Add(sums + 192, 16, b00, b01, b02, b10, b11, b12);
            Add(sums + 288, 16, b20, b21, b22, b30, b31, b32);
            return;
        }
        // [channel][tap column][32 filters]
        Add(sums, Group, a00, a01, a02, a10, a11, a12);
        Add(sums + 192, Group, a20, a21, a22, a30, a31, a32);
        if (TTwo.On)
        {
            Add(sums + 16, Group, b00, b01, b02, b10, b11, b12);
            Add(sums + 208, Group, b20, b21, b22, b30, b31, b32);
        }
    }
}
