using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Forward of 3×3, stride-1, padding-1 float32 convolutions whose output rows are a multiple of 8 wide (CIFAR
/// ResNet-20's and VGG-CIFAR's 16×16 and 8×8 stride-1 layers) on AVX-512, reading x in place and skipping the
/// taps that fall in the padding instead of multiplying its zeros. Filters along the vector: a register tile of 32
/// filters (two vectors) × 8 consecutive output positions of one row, 16 accumulators. Per channel and tap row it
/// loads the 6 weight vectors of its three tap columns, then broadcasts each of the row's 10 inputs x0 − 1 … x0 + 8
/// once and adds it to the (up to) three positions that read it, one per tap column: 10 broadcasts and 6 loads per
/// 48 FMAs. An input column or row outside the plane is not read at all: the first (last) segment of a row drops
/// input x0 − 1 (x0 + 8), the first (last) output row drops tap row 0 (2). Stride 2 (from an input twice the output, ResNet-20's
/// 16×32×32 → 32) runs the same tile over input columns 2·x0 − 1 … 2·x0 + 15 (<see cref="Tile2"/>); only the first row and
/// column read padding there. Both tiles prefetch the rows they will read four channels on (<see cref="Prefetch"/>).
/// </summary>
/// <remarks>
/// <para>Why: the position tile of <see cref="PaddedDirectConvolution"/> runs at ~92 % of the FMA peak but multiplies
/// the padding's zeros, 16 % of the nominal products on 8×8 planes and 8 % on 16×16 (ONNX Runtime's NCHWc kernel
/// skips them), and a vector of positions cannot skip them (it mixes edge and interior columns, and spans two rows of
/// an 8-wide plane). With filters along the vector every lane of an FMA has the same tap and position.</para>
/// <para>Same bits as im2col + the packed GEMM (and the padded kernel): each output is the chain of FMAs over
/// (channel, tap row, tap column) in order from +0 — each accumulator receives its tap columns 0, 1, 2 in that
/// order from three consecutive broadcasts. The skipped links are fma(w, 0, acc), which leave acc unchanged when w is
/// finite: w·0 is ±0 and acc + ±0 = acc, acc never being −0 (it starts at +0, and an exact zero sum rounds to +0
/// unless both terms are −0). A NaN or infinite weight would make 0·w a NaN the reference keeps, so such weights take
/// the padded kernel instead (checked per call before packing; a packed copy is only cached for finite weights).</para>
/// <para>The weights are repacked as [32-filter group][channel][tap row][tap column][32] (a last group of 16 or
/// fewer filters is 16 wide, and filters past the last are zeros not stored), kept by <see cref="DerivedFilters"/>.
/// The inference epilogue is applied to the accumulators (scale·acc + shift per filter lane, the FMA of
/// <see cref="ChannelAffineKernels"/>), which are then transposed (16 filters × 8 positions per vector, by unpacks,
/// shuffles and two-register permutes) into the NCHW rows, adding a residual block's shortcut and then the ReLU on
/// the way, each rounded as the separate passes round them. One sample per <see cref="WorkerPool"/> item: the bits do
/// not depend on the thread count. <c>ENGINE_ROW_FILTER_CONV=on|off</c>: on takes every layer it fits (before the
/// padded kernel), off none; unset, <see cref="Worthwhile"/> decides among the layers the padded kernel would take.</para>
/// </remarks>
internal static unsafe partial class RowFilterConvolution
{
    /// <summary>Whether the size rule decides (null), or the kernel is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare it with the padded kernel in one process.</remarks>
    public static bool? Forced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_ROW_FILTER_CONV"));

    /// <summary>
    /// Whether the tiles prefetch the rows they will read <see cref="Ahead"/> channels on (<c>ENGINE_ROW_FILTER_PREFETCH=on|off</c>,
    /// default on). A sample's x is read from L3 the first time (a batch's x does not fit L2), at a plane's stride per channel,
    /// which the hardware prefetchers do not follow: without it the stride-2 tile waited on those misses (r20-s2-64 ran 30 %
    /// slower in some processes than in others). Prefetches change no result.
    /// </summary>
    public static bool Prefetch { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_ROW_FILTER_PREFETCH")) ?? true;

    /// <summary>Channels ahead of the one being read whose rows a tile prefetches (1, 2 and 4 measured: 4 best).</summary>
    private const int Ahead = 4;

    /// <summary>Filters of a group (two vectors) and output positions of the register tile.</summary>
    private const int Group = 32, Segment = 8;

    /// <summary>Whether forward of <paramref name="l"/> runs here: what the kernel can do, and (unless forced on) the size rule.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        Forced != false && Fits<T>(l) && (Forced == true || (Worthwhile(l) && PaddedDirectConvolution.Applies<T>(l)));

    /// <summary>
    /// What the kernel can do: float32 on AVX-512 where the packed GEMM is the reference (same bits), one group, 2-D,
    /// 3×3, stride 1 or 2, padding 1, no dilation, output rows a multiple of 8 wide.
    /// </summary>
    internal static bool Fits<T>(in ConvolutionLayout l) where T : unmanaged =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && PackedGemm.Bits == 512
        && l.Groups == 1 && l.Depth.Kernel == 1 && l.Depth.Input == 1 && l.Depth.Output == 1 && l.Batch > 0 && l.Channels > 0 && l.Filters > 0
        && AxisFits(l.Height) && AxisFits(l.Width) && l.Height.Stride == l.Width.Stride && l.Width.Output % Segment == 0;

    /// <summary>3 taps, padding 1, no dilation; stride 1 with the input's size, or stride 2 from an input twice the output (so no tap reads the padding past the end).</summary>
    private static bool AxisFits(ConvolutionAxis a) =>
        a.Kernel == 3 && a.Pad == 1 && a.Dilation == 1 && a.Output > 0 && ((a.Stride == 1 && a.Input == a.Output) || (a.Stride == 2 && a.Input == 2 * a.Output));

    /// <summary>
    /// The size rule (<c>Engine.Bench.Kernels --quick-rowfv</c>, one thread, batch-norm + ReLU epilogue, benchmarks/NOTES.md helpers
    /// <c>rowfv</c> and <c>rows2</c>): with <see cref="Prefetch"/> every layer the padded kernel would take; without it not the
    /// 3-channel RGB first layers nor stride-2 layers to outputs narrower than 16. Faster on all of CIFAR ResNet-20's and
    /// VGG-CIFAR's stride-1 layers of 16–128 channels (8×8 by 13–37 %, 16×16 by 9–25 %, 32×32 by 5–24 %) and on ResNet-20's
    /// 16×32×32 → 32 stride 2 (20–48 %); its 32×16×16 → 64 stride 2 (8×8 output) is 0.80–1.08× without the prefetch (bimodal
    /// across processes) and 1.26–1.42× with it; the first layers (27-link chains, so the transposed stores weigh more) from
    /// 1 % slower to 3 % faster without it, 4–14 % faster with it.
    /// </summary>
    internal static bool Worthwhile(in ConvolutionLayout l) => Prefetch || (l.Channels > 3 && (l.Height.Stride == 1 || l.Width.Output >= 16));

    /// <summary>Filter groups: 32 filters each, the last one 16 wide when 16 or fewer filters are left.</summary>
    private static int Groups(in ConvolutionLayout l) => (l.Filters + Group - 1) / Group;

    /// <summary>Floats of the packed weights (every group at its 32-wide size, so a group's offset is g times it).</summary>
    internal static long WeightFloats(in ConvolutionLayout l) => (long)Groups(l) * GroupFloats(l);

    private static long GroupFloats(in ConvolutionLayout l) => (long)l.Channels * 9 * Group;

    /// <summary>Filters a group's vectors hold: 32, or 16 for a last group of at most 16 filters.</summary>
    private static int GroupWidth(in ConvolutionLayout l, int g) => l.Filters - g * Group > 16 ? Group : 16;

    /// <summary>
    /// y ← x ⋆ w for the whole batch, one sample per item of the <see cref="WorkerPool"/>; false (nothing written) when a
    /// weight is not finite (the caller takes another path). <paramref name="applied"/>: whether <paramref name="epilogue"/>
    /// was applied here (ReLU or none, with or without a residual); false: the caller applies it.
    /// </summary>
    public static bool TryForward(in ConvolutionLayout l, float* x, float* w, float* y, ConvolutionWorkspace workspace, in ConvolutionEpilogue epilogue,
        CpuStorage? filterStorage, out bool applied)
    {
        applied = false;
        var key = new DerivedFilters.Key(DerivedFilters.RowFilterPack, WeightFloats(l), l.ColumnRows);
        long version = DerivedFilters.VersionOf(filterStorage);
        float* cached = DerivedFilters.Find(filterStorage, key);
        // A cached copy was packed from finite weights of this version (nothing else is kept).
        if (cached is null && !AllFinite(w, (long)l.Filters * l.ColumnRows))
        {
            return false;
        }
        bool inKernel = epilogue.IsSet && epilogue.Activation is null or Activation.Relu;
        int groups = Groups(l);
        long weights = cached is null ? WeightFloats(l) : 0;
        CpuStorage block = workspace.Rent<float>(weights + 2L * groups * Group);
        try
        {
            float* scratch = (float*)block.Pointer, scales = scratch + weights;
            if (cached is null)
            {
                Pack(l, w, scratch);
                DerivedFilters.Keep(filterStorage, version, key, scratch);
            }
            if (inKernel)
            {
                // Per filter lane, zero past the last filter (those lanes are not stored).
                new Span<float>(scales, 2 * groups * Group).Clear();
                new ReadOnlySpan<float>((float*)epilogue.Scale, l.Filters).CopyTo(new Span<float>(scales, l.Filters));
                new ReadOnlySpan<float>((float*)epilogue.Shift, l.Filters).CopyTo(new Span<float>(scales + groups * Group, l.Filters));
            }
            var job = new Job
            {
                X = x,
                Y = y,
                Packed = cached is null ? scratch : cached,
                Scales = inKernel ? scales : null,
                Shifts = scales + groups * Group,
                Residual = inKernel ? epilogue.ResidualAt(y) : null,
                Relu = inKernel && epilogue.Activation == Activation.Relu,
                Prefetch = Prefetch,
                Channels = l.Channels,
                Height = l.Height.Output,
                Width = l.Width.Output,
                Stride = l.Height.Stride,
                Filters = l.Filters,
                GroupFloats = GroupFloats(l),
            };
            WorkerPool.For(l.Batch, Math.Max(1, Math.Min(WorkerPool.Width, l.Batch)), &Sample, &job);
        }
        finally
        {
            workspace.Return(block);
        }
        applied = inKernel;
        return true;
    }

    /// <summary>Whether every one of the <paramref name="count"/> floats at <paramref name="w"/> is finite.</summary>
    internal static bool AllFinite(float* w, long count)
    {
        // v − v is +0 for a finite v and NaN otherwise; a NaN makes the sum NaN for good.
        Vector512<float> sum = Vector512<float>.Zero;
        long i = 0;
        for (; i + 16 <= count; i += 16)
        {
            Vector512<float> v = Vector512.Load(w + i);
            sum += v - v;
        }
        for (; i < count; i++)
        {
            if (!float.IsFinite(w[i]))
            {
                return false;
            }
        }
        return Vector512.EqualsAll(sum, Vector512<float>.Zero);
    }

    /// <summary>w (filters × channels·9) into <paramref name="packed"/> as [group][channel][tap row][tap column][the group's width], zero past the last filter.</summary>
    internal static void Pack(in ConvolutionLayout l, float* w, float* packed)
    {
        long groupFloats = GroupFloats(l);
        new Span<float>(packed, checked((int)WeightFloats(l))).Clear();
        int taps = l.ColumnRows;
        for (int f = 0; f < l.Filters; f++)
        {
            int g = f / Group, width = GroupWidth(l, g);
            float* dst = packed + g * groupFloats + f % Group, src = w + (long)f * taps;
            for (int t = 0; t < taps; t++)
            {
                dst[(long)t * width] = src[t];
            }
        }
    }

    private struct Job
    {
        public float* X, Y, Packed;
        public float* Scales, Shifts; // per filter, zero-padded to whole groups; Scales null: no affine step
        public float* Residual;       // y's shape, added before the ReLU; or null
        public bool Relu, Prefetch;
        public int Channels, Height, Width, Filters, Stride; // Height, Width: the output's
        public long GroupFloats;
    }

    /// <summary>
    /// One sample: per filter group, per output row, per 8-position segment (the group's packed weights, channels·1,152
    /// bytes, stream in order from the second-level cache; the sample's x stays in the first or second).
    /// </summary>
    private static void Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        int channels = job.Channels, height = job.Height, width = job.Width, plane = height * width, stride = job.Stride;
        int inputWidth = stride * width, inputPlane = stride * stride * plane;
        long ahead = job.Prefetch ? (long)Ahead * inputPlane : 0; // floats from a channel's rows to those prefetched; 0: none
        float* xn = job.X + (long)n * channels * inputPlane;
        long sample = (long)job.Filters * plane;
        float* yn = job.Y + n * sample, rn = job.Residual is null ? null : job.Residual + n * sample;
        for (int first = 0; first < job.Filters; first += Group)
        {
            int count = Math.Min(Group, job.Filters - first), lanes = count > 16 ? Group : 16;
            var finish = new Finish
            {
                Scale0 = job.Scales is null ? default : Vector512.Load(job.Scales + first),
                Scale1 = job.Scales is null || lanes == 16 ? default : Vector512.Load(job.Scales + first + 16),
                Shift0 = job.Scales is null ? default : Vector512.Load(job.Shifts + first),
                Shift1 = job.Scales is null || lanes == 16 ? default : Vector512.Load(job.Shifts + first + 16),
                Affine = job.Scales is not null,
                Relu = job.Relu,
                Plane = plane,
                Count = count,
            };
            float* wg = job.Packed + first / Group * job.GroupFloats;
            int channelFloats = 9 * lanes;
            for (int oy = 0; oy < height; oy++)
            {
                // Tap row 0 of the first output row and (stride 1) 2 of the last read the padding: skipped.
                int ky0 = oy == 0 ? 1 : 0, ky1 = oy == height - 1 && stride == 1 ? 1 : 2;
                float* xr = xn + (long)(stride * oy + ky0 - 1) * inputWidth, wr = wg + ky0 * 3 * lanes;
                long at = (long)first * plane + oy * width;
                if (stride == 2)
                {
                    for (int x0 = 0; x0 < width; x0 += Segment)
                    {
                        float* y = yn + at + x0, r = rn is null ? null : rn + at + x0;
                        switch ((x0 > 0 ? 1 : 0) | (lanes == Group ? 2 : 0))
                        {
                            case 0: Tile2<No, No>(xr + 2 * x0, channels, inputPlane, inputWidth, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                            case 1: Tile2<Yes, No>(xr + 2 * x0, channels, inputPlane, inputWidth, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                            case 2: Tile2<No, Yes>(xr + 2 * x0, channels, inputPlane, inputWidth, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                            default: Tile2<Yes, Yes>(xr + 2 * x0, channels, inputPlane, inputWidth, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                        }
                    }
                    continue;
                }
                for (int x0 = 0; x0 < width; x0 += Segment)
                {
                    float* y = yn + at + x0, r = rn is null ? null : rn + at + x0;
                    int kind = (x0 > 0 ? 1 : 0) | (x0 + Segment < width ? 2 : 0) | (lanes == Group ? 4 : 0);
                    switch (kind)
                    {
                        case 0: Tile<No, No, No>(xr + x0, channels, plane, width, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                        case 1: Tile<Yes, No, No>(xr + x0, channels, plane, width, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                        case 2: Tile<No, Yes, No>(xr + x0, channels, plane, width, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                        case 3: Tile<Yes, Yes, No>(xr + x0, channels, plane, width, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                        case 4: Tile<No, No, Yes>(xr + x0, channels, plane, width, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                        case 5: Tile<Yes, No, Yes>(xr + x0, channels, plane, width, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                        case 6: Tile<No, Yes, Yes>(xr + x0, channels, plane, width, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                        default: Tile<Yes, Yes, Yes>(xr + x0, channels, plane, width, ky1 - ky0 + 1, wr, channelFloats, finish, y, r, ahead); break;
                    }
                }
            }
        }
    }

    /// <summary>A group's epilogue: its scales and shifts per filter lane, the ReLU, where a filter's rows are, how many filters are stored.</summary>
    private struct Finish
    {
        public Vector512<float> Scale0, Scale1, Shift0, Shift1;
        public bool Affine, Relu;
        public int Plane, Count;
    }

    /// <summary>A compile-time flag of <see cref="Tile"/>: each instantiation has its edge cases' branches folded away.</summary>
    private interface IFlag
    {
        static abstract bool On { get; }
    }

    private readonly struct Yes : IFlag
    {
        public static bool On => true;
    }

    private readonly struct No : IFlag
    {
        public static bool On => false;
    }

    // The rows a tile reads Ahead channels on (columns −1 … last of each of its tap rows: one or two lines each); past the
    // sample's last channel they are the next sample's, or unmapped (a prefetch does not fault).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRows(float* row, int taps, int width, int last)
    {
        for (int k = 0; k < taps; k++, row += width)
        {
            Sse.Prefetch0(row - 1);
            Sse.Prefetch0(row + last);
        }
    }

    // 8 positions of one output row × one or two vectors of 16 filters (TTwo): 8 or 16 accumulators over the chain
    // (channel, tap row, tap column). x: the segment's first input of channel 0's first tap row read; w: that tap row's
    // weights, [tap column][group width]. TLeft: input x0 − 1 exists (not the plane's first segment); TRight: x0 + 8 does.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TLeft, TRight, TTwo>(float* x, int channels, int plane, int width, int taps, float* w, int channelFloats, in Finish f, float* y, float* r, long ahead)
        where TLeft : struct, IFlag where TRight : struct, IFlag where TTwo : struct, IFlag
    {
        int column = TTwo.On ? Group : 16;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int c = 0; c < channels; c++, x += plane, w += channelFloats)
        {
            if (ahead != 0)
            {
                PrefetchRows(x + ahead, taps, width, 8); // x0 − 1 … x0 + 8
            }
            float* xr = x, wr = w;
            for (int k = 0; k < taps; k++, xr += width, wr += 3 * column)
            {
                // Tap columns 0, 1, 2 of the group's first and second vectors of filters.
                Vector512<float> u0 = Vector512.Load(wr), u1 = Vector512.Load(wr + column), u2 = Vector512.Load(wr + 2 * column);
                Vector512<float> v0 = TTwo.On ? Vector512.Load(wr + 16) : default, v1 = TTwo.On ? Vector512.Load(wr + column + 16) : default;
                Vector512<float> v2 = TTwo.On ? Vector512.Load(wr + 2 * column + 16) : default;
                Vector512<float> s;
                // Input x0 + j feeds position j + 1 (tap column 0), j (1) and j − 1 (2): every position gets its columns in order.
                if (TLeft.On)
                {
                    s = Vector512.Create(xr[-1]);
                    a0 = Fma(s, u0, a0);
                    if (TTwo.On) { b0 = Fma(s, v0, b0); }
                }
                s = Vector512.Create(xr[0]);
                a1 = Fma(s, u0, a1); a0 = Fma(s, u1, a0);
                if (TTwo.On) { b1 = Fma(s, v0, b1); b0 = Fma(s, v1, b0); }
                s = Vector512.Create(xr[1]);
                a2 = Fma(s, u0, a2); a1 = Fma(s, u1, a1); a0 = Fma(s, u2, a0);
                if (TTwo.On) { b2 = Fma(s, v0, b2); b1 = Fma(s, v1, b1); b0 = Fma(s, v2, b0); }
                s = Vector512.Create(xr[2]);
                a3 = Fma(s, u0, a3); a2 = Fma(s, u1, a2); a1 = Fma(s, u2, a1);
                if (TTwo.On) { b3 = Fma(s, v0, b3); b2 = Fma(s, v1, b2); b1 = Fma(s, v2, b1); }
                s = Vector512.Create(xr[3]);
                a4 = Fma(s, u0, a4); a3 = Fma(s, u1, a3); a2 = Fma(s, u2, a2);
                if (TTwo.On) { b4 = Fma(s, v0, b4); b3 = Fma(s, v1, b3); b2 = Fma(s, v2, b2); }
                s = Vector512.Create(xr[4]);
                a5 = Fma(s, u0, a5); a4 = Fma(s, u1, a4); a3 = Fma(s, u2, a3);
                if (TTwo.On) { b5 = Fma(s, v0, b5); b4 = Fma(s, v1, b4); b3 = Fma(s, v2, b3); }
                s = Vector512.Create(xr[5]);
                a6 = Fma(s, u0, a6); a5 = Fma(s, u1, a5); a4 = Fma(s, u2, a4);
                if (TTwo.On) { b6 = Fma(s, v0, b6); b5 = Fma(s, v1, b5); b4 = Fma(s, v2, b4); }
                s = Vector512.Create(xr[6]);
                a7 = Fma(s, u0, a7); a6 = Fma(s, u1, a6); a5 = Fma(s, u2, a5);
                if (TTwo.On) { b7 = Fma(s, v0, b7); b6 = Fma(s, v1, b6); b5 = Fma(s, v2, b5); }
                s = Vector512.Create(xr[7]);
                a7 = Fma(s, u1, a7); a6 = Fma(s, u2, a6);
                if (TTwo.On) { b7 = Fma(s, v1, b7); b6 = Fma(s, v2, b6); }
                if (TRight.On)
                {
                    s = Vector512.Create(xr[8]);
                    a7 = Fma(s, u2, a7);
                    if (TTwo.On) { b7 = Fma(s, v2, b7); }
                }
            }
        }
        Store(a0, a1, a2, a3, a4, a5, a6, a7, f.Scale0, f.Shift0, f, y, r, Math.Min(16, f.Count));
        if (TTwo.On)
        {
            Store(b0, b1, b2, b3, b4, b5, b6, b7, f.Scale1, f.Shift1, f, y + 16L * f.Plane, r is null ? null : r + 16L * f.Plane, f.Count - 16);
        }
    }

    // Stride 2: 8 output positions read input columns 2·x0 − 1 … 2·x0 + 15, position p reading 2p − 1, 2p, 2p + 1 at tap
    // columns 0, 1, 2. Tap column by tap column over the 8 positions (24 broadcasts and 6 loads per 48 FMAs), so that an
    // accumulator's successive FMAs are 16 apart: column by column (17 broadcasts, each odd column feeding two positions)
    // put them one or two apart and ran at 65–74 GFLOP/s. x: input column 2·x0 of channel 0's first tap row read. Only the
    // left edge reads padding (the input being twice the output, column 2·x0 + 15 always exists). Otherwise as Tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile2<TLeft, TTwo>(float* x, int channels, int plane, int width, int taps, float* w, int channelFloats, in Finish f, float* y, float* r, long ahead)
        where TLeft : struct, IFlag where TTwo : struct, IFlag
    {
        int column = TTwo.On ? Group : 16;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int c = 0; c < channels; c++, x += plane, w += channelFloats)
        {
            if (ahead != 0)
            {
                PrefetchRows(x + ahead, taps, width, 15); // input columns 2·x0 − 1 … 2·x0 + 15
            }
            float* xr = x, wr = w;
            for (int k = 0; k < taps; k++, xr += width, wr += 3 * column)
            {
                Vector512<float> u0 = Vector512.Load(wr), u1 = Vector512.Load(wr + column), u2 = Vector512.Load(wr + 2 * column);
                Vector512<float> v0 = TTwo.On ? Vector512.Load(wr + 16) : default, v1 = TTwo.On ? Vector512.Load(wr + column + 16) : default;
                Vector512<float> v2 = TTwo.On ? Vector512.Load(wr + 2 * column + 16) : default;
                Vector512<float> s;
                // Tap column 0: input column 2p + -1 of every position p.
                if (TLeft.On)
                {
                    s = Vector512.Create(xr[-1]); a0 = Fma(s, u0, a0);
                    if (TTwo.On) { b0 = Fma(s, v0, b0); }
                }
                s = Vector512.Create(xr[1]); a1 = Fma(s, u0, a1);
                if (TTwo.On) { b1 = Fma(s, v0, b1); }
                s = Vector512.Create(xr[3]); a2 = Fma(s, u0, a2);
                if (TTwo.On) { b2 = Fma(s, v0, b2); }
                s = Vector512.Create(xr[5]); a3 = Fma(s, u0, a3);
                if (TTwo.On) { b3 = Fma(s, v0, b3); }
                s = Vector512.Create(xr[7]); a4 = Fma(s, u0, a4);
                if (TTwo.On) { b4 = Fma(s, v0, b4); }
                s = Vector512.Create(xr[9]); a5 = Fma(s, u0, a5);
                if (TTwo.On) { b5 = Fma(s, v0, b5); }
                s = Vector512.Create(xr[11]); a6 = Fma(s, u0, a6);
                if (TTwo.On) { b6 = Fma(s, v0, b6); }
                s = Vector512.Create(xr[13]); a7 = Fma(s, u0, a7);
                if (TTwo.On) { b7 = Fma(s, v0, b7); }
                // Tap column 1: input column 2p + 0 of every position p.
                s = Vector512.Create(xr[0]); a0 = Fma(s, u1, a0);
                if (TTwo.On) { b0 = Fma(s, v1, b0); }
                s = Vector512.Create(xr[2]); a1 = Fma(s, u1, a1);
                if (TTwo.On) { b1 = Fma(s, v1, b1); }
                s = Vector512.Create(xr[4]); a2 = Fma(s, u1, a2);
                if (TTwo.On) { b2 = Fma(s, v1, b2); }
                s = Vector512.Create(xr[6]); a3 = Fma(s, u1, a3);
                if (TTwo.On) { b3 = Fma(s, v1, b3); }
                s = Vector512.Create(xr[8]); a4 = Fma(s, u1, a4);
                if (TTwo.On) { b4 = Fma(s, v1, b4); }
                s = Vector512.Create(xr[10]); a5 = Fma(s, u1, a5);
                if (TTwo.On) { b5 = Fma(s, v1, b5); }
                s = Vector512.Create(xr[12]); a6 = Fma(s, u1, a6);
                if (TTwo.On) { b6 = Fma(s, v1, b6); }
                s = Vector512.Create(xr[14]); a7 = Fma(s, u1, a7);
                if (TTwo.On) { b7 = Fma(s, v1, b7); }
                // Tap column 2: input column 2p + 1 of every position p.
                s = Vector512.Create(xr[1]); a0 = Fma(s, u2, a0);
                if (TTwo.On) { b0 = Fma(s, v2, b0); }
                s = Vector512.Create(xr[3]); a1 = Fma(s, u2, a1);
                if (TTwo.On) { b1 = Fma(s, v2, b1); }
                s = Vector512.Create(xr[5]); a2 = Fma(s, u2, a2);
                if (TTwo.On) { b2 = Fma(s, v2, b2); }
                s = Vector512.Create(xr[7]); a3 = Fma(s, u2, a3);
                if (TTwo.On) { b3 = Fma(s, v2, b3); }
                s = Vector512.Create(xr[9]); a4 = Fma(s, u2, a4);
                if (TTwo.On) { b4 = Fma(s, v2, b4); }
                s = Vector512.Create(xr[11]); a5 = Fma(s, u2, a5);
                if (TTwo.On) { b5 = Fma(s, v2, b5); }
                s = Vector512.Create(xr[13]); a6 = Fma(s, u2, a6);
                if (TTwo.On) { b6 = Fma(s, v2, b6); }
                s = Vector512.Create(xr[15]); a7 = Fma(s, u2, a7);
                if (TTwo.On) { b7 = Fma(s, v2, b7); }
            }
        }
        Store(a0, a1, a2, a3, a4, a5, a6, a7, f.Scale0, f.Shift0, f, y, r, Math.Min(16, f.Count));
        if (TTwo.On)
        {
            Store(b0, b1, b2, b3, b4, b5, b6, b7, f.Scale1, f.Shift1, f, y + 16L * f.Plane, r is null ? null : r + 16L * f.Plane, f.Count - 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> s, Vector512<float> w, Vector512<float> a) => Vector512.FusedMultiplyAdd(s, w, a);

    /// <summary>
    /// Eight positions (p0…p7) × 16 filters: the affine step per filter lane, then transposed into the 16 filters'
    /// rows of 8 (<paramref name="y"/> + filter · plane), the residual added and then the ReLU (as the separate passes
    /// round them); filters from <paramref name="count"/> on are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> p0, Vector512<float> p1, Vector512<float> p2, Vector512<float> p3,
        Vector512<float> p4, Vector512<float> p5, Vector512<float> p6, Vector512<float> p7,
        Vector512<float> scale, Vector512<float> shift, in Finish f, float* y, float* r, int count)
    {
        if (f.Affine)
        {
            p0 = Vector512.FusedMultiplyAdd(p0, scale, shift); p1 = Vector512.FusedMultiplyAdd(p1, scale, shift);
            p2 = Vector512.FusedMultiplyAdd(p2, scale, shift); p3 = Vector512.FusedMultiplyAdd(p3, scale, shift);
            p4 = Vector512.FusedMultiplyAdd(p4, scale, shift); p5 = Vector512.FusedMultiplyAdd(p5, scale, shift);
            p6 = Vector512.FusedMultiplyAdd(p6, scale, shift); p7 = Vector512.FusedMultiplyAdd(p7, scale, shift);
        }
        // Within each 128-bit block k (filters 4k…4k+3): s_m holds filter 4k + m at positions 0–3, s_{m+4} at positions 4–7.
        Vector512<float> t0 = Avx512F.UnpackLow(p0, p1), t1 = Avx512F.UnpackHigh(p0, p1), t2 = Avx512F.UnpackLow(p2, p3), t3 = Avx512F.UnpackHigh(p2, p3);
        Vector512<float> t4 = Avx512F.UnpackLow(p4, p5), t5 = Avx512F.UnpackHigh(p4, p5), t6 = Avx512F.UnpackLow(p6, p7), t7 = Avx512F.UnpackHigh(p6, p7);
        Vector512<float> s0 = Avx512F.Shuffle(t0, t2, 0x44), s1 = Avx512F.Shuffle(t0, t2, 0xEE), s2 = Avx512F.Shuffle(t1, t3, 0x44), s3 = Avx512F.Shuffle(t1, t3, 0xEE);
        Vector512<float> s4 = Avx512F.Shuffle(t4, t6, 0x44), s5 = Avx512F.Shuffle(t4, t6, 0xEE), s6 = Avx512F.Shuffle(t5, t7, 0x44), s7 = Avx512F.Shuffle(t5, t7, 0xEE);
        // Lanes of 128-bit blocks for the last step: blocks 0 (2) of two registers side by side, then their blocks 1 (3); constants
        // in the code (static readonly fields are not folded in methods compiled before their class is initialised).
        Vector512<int> low = Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
        Vector512<int> high = Vector512.Create(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
        // Each register: filter m's row (lower half) and filter m + 4's (upper half), or m + 8 and m + 12.
        Put(Avx512F.PermuteVar16x32x2(s0, low, s4), f, y, r, 0, count);
        Put(Avx512F.PermuteVar16x32x2(s1, low, s5), f, y, r, 1, count);
        Put(Avx512F.PermuteVar16x32x2(s2, low, s6), f, y, r, 2, count);
        Put(Avx512F.PermuteVar16x32x2(s3, low, s7), f, y, r, 3, count);
        Put(Avx512F.PermuteVar16x32x2(s0, high, s4), f, y, r, 8, count);
        Put(Avx512F.PermuteVar16x32x2(s1, high, s5), f, y, r, 9, count);
        Put(Avx512F.PermuteVar16x32x2(s2, high, s6), f, y, r, 10, count);
        Put(Avx512F.PermuteVar16x32x2(s3, high, s7), f, y, r, 11, count);
    }

    /// <summary>Rows of filters <paramref name="filter"/> (lower half) and <paramref name="filter"/> + 4 (upper half): + residual, ReLU, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector512<float> rows, in Finish f, float* y, float* r, int filter, int count)
    {
        float* lower = y + (long)filter * f.Plane, upper = lower + 4L * f.Plane;
        if (r is not null)
        {
            // Filters past the last have no residual rows to read.
            float* rl = r + (long)filter * f.Plane;
            rows += Vector512.Create(filter < count ? Vector256.Load(rl) : default, filter + 4 < count ? Vector256.Load(rl + 4L * f.Plane) : default);
        }
        if (f.Relu)
        {
            rows = Vector512.Max(rows, Vector512<float>.Zero);
        }
        if (filter < count)
        {
            rows.GetLower().Store(lower);
        }
        if (filter + 4 < count)
        {
            rows.GetUpper().Store(upper);
        }
    }
}
