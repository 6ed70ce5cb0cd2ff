using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Direct backward filter (dw = Σ over samples and positions of dy · shifted x) for float32 2-D layers
/// with few taps and narrow rows (LeNet-5's 1→6 and 6→16 at 5×5), on AVX-512, without a column
/// matrix. The column path gathered 25× the input per sample (conv2 also copied 4 samples' dy side by
/// side) and then ran a product only 100–400 deep; here a work item is one input row of the window
/// (channel c, window row kh: up to 5 taps along the width) × 4 filters, whose 20 sums stay in
/// vector registers over the whole batch: per output row, it loads the 4 filters' dy rows and the 5
/// shifted input rows (from zero-padded copies, so the padding reads as zero) and multiplies every
/// pair. The lanes are added once at the end.
/// </summary>
/// <remarks>
/// Items write disjoint parts of dw and each runs over the whole batch in sample order, so the
/// result does not depend on the thread count or on which thread ran an item. The sum order (16
/// lanes side by side, then across the lanes) is not the column GEMM's, so results differ from it
/// by rounding (tested against a double-precision sum, <c>DirectFilterGradientTests</c>). Taken where the own kernels run at
/// 512 bits (<see cref="SmallGemm.Bits"/>), so <c>ENGINE_SMALL_GEMM=off|256|128</c> keeps im2col + GEMM.
/// </remarks>
internal static unsafe partial class DirectFilterGradient
{
    /// <summary>Filters per item: 4 filters × 5 taps = 20 accumulators, plus the loaded rows, in the 32 vector registers.</summary>
    private const int FilterBlock = 4;

    /// <summary>Taps per item: one window row of up to 5 (wider windows take several items).</summary>
    private const int TapBlock = 5;

    /// <summary>
    /// Off: the column path runs instead (tests' reference, benchmarks' before/after in one process);
    /// <c>ENGINE_DIRECT_BACKWARD=off</c> starts it off, to time a whole training run both ways.
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_DIRECT_BACKWARD") != "off";

    /// <summary>
    /// Whether the backward filter pass of <paramref name="l"/> runs here: 2-D (or 1-D), width stride 1,
    /// rows ≤ 32, LeNet-size taps, and a window 5 wide, which fills an item's taps (a 3-wide one left 2 of
    /// 5 idle and ran a (32,3,32,32)→32 layer 2.6× slower than the column path).
    /// </summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        Enabled && typeof(T) == typeof(float) && SmallGemm.Bits == 512 && Avx512F.IsSupported
        && l.Groups == 1 && !l.IsPointwise && l.Depth.Kernel == 1 && l.Depth.Input == 1 && l.Depth.Output == 1
        && l.ColumnRows <= 256 && l.Filters <= 64 && l.Width.Kernel == TapBlock
        && l.Width.Stride == 1 && l.Width.Output is > 0 and <= 32;

    /// <summary>
    /// dw ← Σₙ dyₙ ⋆ xₙ for the whole batch. First x and dy are copied, a sample per item, into rows
    /// padded with zeros (x: the width padding and room for the last tap's vector; dy: to whole
    /// vectors), so the hot loop's loads need no lane masks (masked loads cost the FMA ports a mask
    /// move and a blend each: the masked version ran at half speed). Then items (window row × tap
    /// chunk × filter block) spread over the <see cref="WorkerPool"/>.
    /// </summary>
    public static void Run(in ConvolutionLayout l, float* x, float* dy, float* dw, ConvolutionWorkspace workspace)
    {
        ConvolutionAxis wa = l.Width;
        // 3 filters per item where that divides them and 4 does not (LeNet conv1's 6: blocks of 4 left 2 of 8 slots idle).
        int filterBlock = l.Filters % FilterBlock != 0 && l.Filters % 3 == 0 ? 3 : FilterBlock;
        int chunks = (wa.Kernel + TapBlock - 1) / TapBlock, blocks = (l.Filters + filterBlock - 1) / filterBlock;
        int halves = wa.Output > 16 ? 2 : 1;
        // A padded x row holds every load of its taps (chunks · 5 taps, the last chunk's extra taps
        // included: their sums are dropped, their loads must stay inside the row).
        int xStride = 16 * halves + (chunks * TapBlock - 1) * wa.Dilation, dyStride = 16 * halves;
        long xSample = (long)l.Channels * l.Height.Input * xStride, dySample = (long)l.Filters * l.Height.Output * dyStride;
        CpuStorage block = workspace.Rent<float>(l.Batch * (xSample + dySample));
        try
        {
            var job = new Job
            {
                Layout = l,
                X = x,
                Dy = dy,
                Dw = dw,
                PaddedX = (float*)block.Pointer,
                PaddedDy = (float*)block.Pointer + l.Batch * xSample,
                XStride = xStride,
                DyStride = dyStride,
                XSample = xSample,
                DySample = dySample,
                Chunks = chunks,
                Blocks = blocks,
                Halves = halves,
                FilterBlock = filterBlock,
                FilterLanes = FilterLanes(l),
            };
            int width = Math.Max(1, Math.Min(WorkerPool.Width, l.Batch));
            WorkerPool.For(l.Batch, width, &Pad, &job);
            int items = job.FilterLanes ? l.Channels * (l.Filters / 16) : l.Channels * l.Height.Kernel * chunks * blocks;
            WorkerPool.For(items, Math.Max(1, Math.Min(WorkerPool.Width, items)), job.FilterLanes ? &LaneItem : &Item, &job);
        }
        finally
        {
            workspace.Return(block);
        }
    }

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, Dy, Dw, PaddedX, PaddedDy;
        public int XStride, DyStride, Chunks, Blocks, Halves, FilterBlock;
        public long XSample, DySample;
        public bool FilterLanes; // dy transposed for the filter-lane kernel rather than padded rows
    }

    /// <summary>Copies sample <paramref name="n"/>'s x and dy rows into their zero-padded rows.</summary>
    private static void Pad(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        int win = l.Width.Input, wout = l.Width.Output;
        float* to = job.PaddedX + n * job.XSample, from = job.X + (long)n * l.Channels * l.InputSize;
        int pad = Math.Min(l.Width.Pad, job.XStride), kept = Math.Min(win, job.XStride - pad); // the loads reach no further
        for (int row = 0; row < l.Channels * l.Height.Input; row++, to += job.XStride, from += win)
        {
            var padded = new Span<float>(to, job.XStride);
            padded.Clear();
            new ReadOnlySpan<float>(from, kept).CopyTo(padded[pad..]);
        }
        if (job.FilterLanes)
        {
            TransposeDy(ref job, n);
            return;
        }
        to = job.PaddedDy + n * job.DySample;
        from = job.Dy + (long)n * l.Filters * l.OutputSize;
        for (int row = 0; row < l.Filters * l.Height.Output; row++, to += job.DyStride, from += wout)
        {
            var padded = new Span<float>(to, job.DyStride);
            new ReadOnlySpan<float>(from, wout).CopyTo(padded);
            padded[wout..].Clear();
        }
    }

    private static void Item(void* state, int item, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        ConvolutionAxis ha = l.Height, wa = l.Width;
        int block = item % job.Blocks, chunk = item / job.Blocks % job.Chunks, windowRow = item / job.Blocks / job.Chunks;
        int c = windowRow / ha.Kernel, kh = windowRow % ha.Kernel;
        // Output rows whose window row kh lies inside the input: one stretch, since ih grows with oh.
        int first = 0, end = ha.Output;
        while (first < end && (uint)(first * ha.Stride - ha.Pad + kh * ha.Dilation) >= (uint)ha.Input)
        {
            first++;
        }
        while (end > first && (uint)((end - 1) * ha.Stride - ha.Pad + kh * ha.Dilation) >= (uint)ha.Input)
        {
            end--;
        }
        int f0 = block * job.FilterBlock, plane = ha.Output * job.DyStride;
        // Filters past the last repeat it (their sums are dropped).
        int f1 = Math.Min(f0 + 1, l.Filters - 1), f2 = Math.Min(f0 + 2, l.Filters - 1), f3 = Math.Min(f0 + 3, l.Filters - 1);
        int tap0 = chunk * TapBlock;
        var p = new Pass
        {
            X = job.PaddedX + ((long)c * ha.Input + first * ha.Stride - ha.Pad + kh * ha.Dilation) * job.XStride + tap0 * wa.Dilation,
            Dy = job.PaddedDy + (long)f0 * plane + first * job.DyStride,
            D1 = (f1 - f0) * plane,
            D2 = (f2 - f0) * plane,
            D3 = (f3 - f0) * plane,
            Rows = end - first,
            Halves = job.Halves,
            Samples = l.Batch,
            XRow = ha.Stride * job.XStride,
            XSample = job.XSample,
            DyRow = job.DyStride,
            DySample = job.DySample,
            Dilation = wa.Dilation,
        };
        float* sums = stackalloc float[FilterBlock * TapBlock];
        if (job.FilterBlock == 3)
        {
            Accumulate3(ref p, sums);
        }
        else
        {
            Accumulate(ref p, sums);
        }
        int taps = Math.Min(TapBlock, wa.Kernel - tap0), rowTap = windowRow * wa.Kernel + tap0;
        for (int f = 0; f < job.FilterBlock && f0 + f < l.Filters; f++)
        {
            for (int t = 0; t < taps; t++)
            {
                job.Dw[(long)(f0 + f) * l.ColumnRows + rowTap + t] = sums[f * TapBlock + t];
            }
        }
    }

    /// <summary>The operands of one item's sweep over the batch (padded rows, pointers at its first output row).</summary>
    private struct Pass
    {
        public float* X, Dy;
        public long D1, D2, D3, XSample, DySample;
        public int Rows, Halves, Samples, XRow, DyRow, Dilation;
    }

    /// <summary>
    /// Every output row of the batch, one or two vectors each: 4 filters × 5 taps of sums, reduced
    /// across lanes into <paramref name="sums"/> at the end. Lanes past the row's end are zeros in dy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate(ref Pass p, float* sums)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        int d = p.Dilation, rows = p.Rows, halves = p.Halves, xRow = p.XRow, dyRow = p.DyRow;
        long d1 = p.D1, d2 = p.D2, d3 = p.D3;
        for (int n = 0; n < p.Samples; n++)
        {
            float* xr = p.X + n * p.XSample, dr = p.Dy + n * p.DySample;
            for (int r = 0; r < rows; r++, xr += xRow, dr += dyRow)
            {
                for (int h = 0; h < halves; h++)
                {
                    float* xh = xr + 16 * h, dh = dr + 16 * h;
                    Vector512<float> g0 = Vector512.Load(dh), g1 = Vector512.Load(dh + d1);
                    Vector512<float> g2 = Vector512.Load(dh + d2), g3 = Vector512.Load(dh + d3);
                    Vector512<float> v = Vector512.Load(xh);
                    a00 = Vector512.FusedMultiplyAdd(g0, v, a00); a10 = Vector512.FusedMultiplyAdd(g1, v, a10);
                    a20 = Vector512.FusedMultiplyAdd(g2, v, a20); a30 = Vector512.FusedMultiplyAdd(g3, v, a30);
                    v = Vector512.Load(xh + d);
                    a01 = Vector512.FusedMultiplyAdd(g0, v, a01); a11 = Vector512.FusedMultiplyAdd(g1, v, a11);
                    a21 = Vector512.FusedMultiplyAdd(g2, v, a21); a31 = Vector512.FusedMultiplyAdd(g3, v, a31);
                    v = Vector512.Load(xh + 2 * d);
                    a02 = Vector512.FusedMultiplyAdd(g0, v, a02); a12 = Vector512.FusedMultiplyAdd(g1, v, a12);
                    a22 = Vector512.FusedMultiplyAdd(g2, v, a22); a32 = Vector512.FusedMultiplyAdd(g3, v, a32);
                    v = Vector512.Load(xh + 3 * d);
                    a03 = Vector512.FusedMultiplyAdd(g0, v, a03); a13 = Vector512.FusedMultiplyAdd(g1, v, a13);
                    a23 = Vector512.FusedMultiplyAdd(g2, v, a23); a33 = Vector512.FusedMultiplyAdd(g3, v, a33);
                    v = Vector512.Load(xh + 4 * d);
                    a04 = Vector512.FusedMultiplyAdd(g0, v, a04); a14 = Vector512.FusedMultiplyAdd(g1, v, a14);
                    a24 = Vector512.FusedMultiplyAdd(g2, v, a24); a34 = Vector512.FusedMultiplyAdd(g3, v, a34);
                }
            }
        }
        Put(sums, a00, a01, a02, a03, a04);
        Put(sums + TapBlock, a10, a11, a12, a13, a14);
        Put(sums + 2 * TapBlock, a20, a21, a22, a23, a24);
        Put(sums + 3 * TapBlock, a30, a31, a32, a33, a34);
    }

    /// <summary><see cref="Accumulate"/> for 3 filters (15 sums; the fourth filter's pointer is not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate3(ref Pass p, float* sums)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        int d = p.Dilation, rows = p.Rows, halves = p.Halves, xRow = p.XRow, dyRow = p.DyRow;
        long d1 = p.D1, d2 = p.D2;
        for (int n = 0; n < p.Samples; n++)
        {
            float* xr = p.X + n * p.XSample, dr = p.Dy + n * p.DySample;
            for (int r = 0; r < rows; r++, xr += xRow, dr += dyRow)
            {
                for (int h = 0; h < halves; h++)
                {
                    float* xh = xr + 16 * h, dh = dr + 16 * h;
                    Vector512<float> g0 = Vector512.Load(dh), g1 = Vector512.Load(dh + d1), g2 = Vector512.Load(dh + d2);
                    Vector512<float> v = Vector512.Load(xh);
                    a00 = Vector512.FusedMultiplyAdd(g0, v, a00); a10 = Vector512.FusedMultiplyAdd(g1, v, a10); a20 = Vector512.FusedMultiplyAdd(g2, v, a20);
                    v = Vector512.Load(xh + d);
                    a01 = Vector512.FusedMultiplyAdd(g0, v, a01); a11 = Vector512.FusedMultiplyAdd(g1, v, a11); a21 = Vector512.FusedMultiplyAdd(g2, v, a21);
                    v = Vector512.Load(xh + 2 * d);
                    a02 = Vector512.FusedMultiplyAdd(g0, v, a02); a12 = Vector512.FusedMultiplyAdd(g1, v, a12); a22 = Vector512.FusedMultiplyAdd(g2, v, a22);
                    v = Vector512.Load(xh + 3 * d);
                    a03 = Vector512.FusedMultiplyAdd(g0, v, a03); a13 = Vector512.FusedMultiplyAdd(g1, v, a13); a23 = Vector512.FusedMultiplyAdd(g2, v, a23);
                    v = Vector512.Load(xh + 4 * d);
                    a04 = Vector512.FusedMultiplyAdd(g0, v, a04); a14 = Vector512.FusedMultiplyAdd(g1, v, a14); a24 = Vector512.FusedMultiplyAdd(g2, v, a24);
                }
            }
        }
        Put(sums, a00, a01, a02, a03, a04);
        Put(sums + TapBlock, a10, a11, a12, a13, a14);
        Put(sums + 2 * TapBlock, a20, a21, a22, a23, a24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* sums, Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3, Vector512<float> t4)
    {
        sums[0] = Vector512.Sum(t0);
        sums[1] = Vector512.Sum(t1);
        sums[2] = Vector512.Sum(t2);
        sums[3] = Vector512.Sum(t3);
        sums[4] = Vector512.Sum(t4);
    }
}
