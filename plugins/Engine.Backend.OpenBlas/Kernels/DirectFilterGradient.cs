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
/// shifted input rows (lane masks read the padding as zero) and multiplies every pair. The lanes
/// are added once at the end.
/// </summary>
/// <remarks>
/// Items write disjoint parts of dw and each runs over the whole batch in sample order, so the
/// result does not depend on the thread count or on which thread ran an item. The sum order (16
/// lanes side by side, then across the lanes) is not the column GEMM's, so results differ from it
/// by rounding (tested against a double-precision sum, <c>DirectFilterGradientTests</c>). Taken where the own kernels run at
/// 512 bits (<see cref="SmallGemm.Bits"/>), so <c>ENGINE_SMALL_GEMM=off|256|128</c> keeps im2col + GEMM.
/// </remarks>
internal static unsafe class DirectFilterGradient
{
    /// <summary>Filters per item: 4 filters × 5 taps = 20 accumulators, plus the loaded rows, in the 32 vector registers.</summary>
    private const int FilterBlock = 4;

    /// <summary>Taps per item: one window row of up to 5 (wider windows take several items).</summary>
    private const int TapBlock = 5;

    /// <summary>Off: the column path runs instead (tests' reference, benchmarks' before/after in one process).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Whether the backward filter pass of <paramref name="l"/> runs here: 2-D (or 1-D), width stride 1, rows ≤ 32, LeNet-size taps.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        Enabled && typeof(T) == typeof(float) && SmallGemm.Bits == 512 && Avx512F.IsSupported
        && l.Groups == 1 && !l.IsPointwise && l.Depth.Kernel == 1 && l.Depth.Input == 1 && l.Depth.Output == 1
        && l.ColumnRows <= 256 && l.Filters <= 64
        && l.Width.Stride == 1 && l.Width.Output is > 0 and <= 32;

    /// <summary>dw ← Σₙ dyₙ ⋆ xₙ for the whole batch; items (window row × tap chunk × filter block) spread over the <see cref="WorkerPool"/>.</summary>
    public static void Run(in ConvolutionLayout l, float* x, float* dy, float* dw)
    {
        int chunks = (l.Width.Kernel + TapBlock - 1) / TapBlock, blocks = (l.Filters + FilterBlock - 1) / FilterBlock;
        int windowRows = l.Channels * l.Height.Kernel;
        // Per tap chunk and tap in it: the input-lane masks of the first and second vector of a row.
        Vector512<float>* masks = stackalloc Vector512<float>[2 * chunks * TapBlock];
        Vector512<int> lanes = Vector512<int>.Indices, high = lanes + Vector512.Create(16);
        ConvolutionAxis wa = l.Width;
        var job = new Job
        {
            Layout = l,
            X = x,
            Dy = dy,
            Dw = dw,
            Masks = masks,
            Chunks = chunks,
            Blocks = blocks,
            Store0 = Im2ColMasked.Between(lanes, 0, wa.Output),
            Store1 = Im2ColMasked.Between(high, 0, wa.Output),
        };
        for (int t = 0; t < chunks * TapBlock; t++)
        {
            // Taps past the window read nothing (an all-false mask) and their sums are dropped.
            int offset = t * wa.Dilation - wa.Pad;
            bool real = t < wa.Kernel;
            masks[2 * t] = real ? Im2ColMasked.Between(lanes, -offset, wa.Input - offset) & job.Store0 : Vector512<float>.Zero;
            masks[2 * t + 1] = real ? Im2ColMasked.Between(high, -offset, wa.Input - offset) & job.Store1 : Vector512<float>.Zero;
        }
        int items = windowRows * chunks * blocks;
        WorkerPool.For(items, Math.Max(1, Math.Min(WorkerPool.Width, items)), &Item, &job);
    }

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, Dy, Dw;
        public Vector512<float>* Masks;
        public int Chunks, Blocks;
        public Vector512<float> Store0, Store1;
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
        int f0 = block * FilterBlock, outputs = l.OutputSize;
        // Filters past the last repeat it (their sums are dropped).
        int f1 = Math.Min(f0 + 1, l.Filters - 1), f2 = Math.Min(f0 + 2, l.Filters - 1), f3 = Math.Min(f0 + 3, l.Filters - 1);
        int tap0 = chunk * TapBlock;
        var p = new Pass
        {
            X = job.X + (long)c * l.InputSize + (first * ha.Stride - ha.Pad + kh * ha.Dilation) * wa.Input + tap0 * wa.Dilation - wa.Pad,
            Dy = job.Dy + (long)f0 * outputs + first * wa.Output,
            D1 = (f1 - f0) * outputs,
            D2 = (f2 - f0) * outputs,
            D3 = (f3 - f0) * outputs,
            Rows = end - first,
            Samples = l.Batch,
            XRow = ha.Stride * wa.Input,
            XSample = (long)l.Channels * l.InputSize,
            DyRow = wa.Output,
            DySample = (long)l.Filters * outputs,
            Dilation = wa.Dilation,
        };
        Span<float> sums = stackalloc float[FilterBlock * TapBlock];
        Accumulate(ref p, job.Masks + 2 * tap0, job.Store0, sums, 0);
        if (wa.Output > 16)
        {
            p.X += 16;
            p.Dy += 16;
            Accumulate(ref p, job.Masks + 2 * tap0 + 1, job.Store1, sums, 1);
        }
        int taps = Math.Min(TapBlock, wa.Kernel - tap0), rowTap = windowRow * wa.Kernel + tap0;
        for (int f = 0; f < FilterBlock && f0 + f < l.Filters; f++)
        {
            for (int t = 0; t < taps; t++)
            {
                job.Dw[(long)(f0 + f) * l.ColumnRows + rowTap + t] = sums[f * TapBlock + t];
            }
        }
    }

    /// <summary>The operands of one item's sweep over the batch (pointers at its first output row, half 0 or 1).</summary>
    private struct Pass
    {
        public float* X, Dy;
        public long D1, D2, D3, XSample, DySample;
        public int Rows, Samples, XRow, DyRow, Dilation;
    }

    /// <summary>
    /// One vector (half) of every output row of the batch: 4 filters × 5 taps of sums, reduced across
    /// lanes into <paramref name="sums"/> (the first half writes them, the second adds to them).
    /// Masks step by 2 (first- and second-vector masks interleave).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate(ref Pass p, Vector512<float>* masks, Vector512<float> store, Span<float> sums, int half)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        Vector512<float> zero = Vector512<float>.Zero;
        int d = p.Dilation;
        long d1 = p.D1, d2 = p.D2, d3 = p.D3;
        for (int n = 0; n < p.Samples; n++)
        {
            float* xr = p.X + n * p.XSample, dr = p.Dy + n * p.DySample;
            for (int r = 0; r < p.Rows; r++, xr += p.XRow, dr += p.DyRow)
            {
                Vector512<float> g0 = Avx512F.MaskLoad(dr, store, zero), g1 = Avx512F.MaskLoad(dr + d1, store, zero);
                Vector512<float> g2 = Avx512F.MaskLoad(dr + d2, store, zero), g3 = Avx512F.MaskLoad(dr + d3, store, zero);
                Vector512<float> v = Avx512F.MaskLoad(xr, masks[0], zero);
                a00 = Vector512.FusedMultiplyAdd(g0, v, a00); a10 = Vector512.FusedMultiplyAdd(g1, v, a10);
                a20 = Vector512.FusedMultiplyAdd(g2, v, a20); a30 = Vector512.FusedMultiplyAdd(g3, v, a30);
                v = Avx512F.MaskLoad(xr + d, masks[2], zero);
                a01 = Vector512.FusedMultiplyAdd(g0, v, a01); a11 = Vector512.FusedMultiplyAdd(g1, v, a11);
                a21 = Vector512.FusedMultiplyAdd(g2, v, a21); a31 = Vector512.FusedMultiplyAdd(g3, v, a31);
                v = Avx512F.MaskLoad(xr + 2 * d, masks[4], zero);
                a02 = Vector512.FusedMultiplyAdd(g0, v, a02); a12 = Vector512.FusedMultiplyAdd(g1, v, a12);
                a22 = Vector512.FusedMultiplyAdd(g2, v, a22); a32 = Vector512.FusedMultiplyAdd(g3, v, a32);
                v = Avx512F.MaskLoad(xr + 3 * d, masks[6], zero);
                a03 = Vector512.FusedMultiplyAdd(g0, v, a03); a13 = Vector512.FusedMultiplyAdd(g1, v, a13);
                a23 = Vector512.FusedMultiplyAdd(g2, v, a23); a33 = Vector512.FusedMultiplyAdd(g3, v, a33);
                v = Avx512F.MaskLoad(xr + 4 * d, masks[8], zero);
                a04 = Vector512.FusedMultiplyAdd(g0, v, a04); a14 = Vector512.FusedMultiplyAdd(g1, v, a14);
                a24 = Vector512.FusedMultiplyAdd(g2, v, a24); a34 = Vector512.FusedMultiplyAdd(g3, v, a34);
            }
        }
        Put(sums, 0, half, a00, a01, a02, a03, a04);
        Put(sums, 1, half, a10, a11, a12, a13, a14);
        Put(sums, 2, half, a20, a21, a22, a23, a24);
        Put(sums, 3, half, a30, a31, a32, a33, a34);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Span<float> sums, int filter, int half, Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3, Vector512<float> t4)
    {
        int at = filter * TapBlock;
        sums[at] = half == 0 ? Vector512.Sum(t0) : sums[at] + Vector512.Sum(t0);
        sums[at + 1] = half == 0 ? Vector512.Sum(t1) : sums[at + 1] + Vector512.Sum(t1);
        sums[at + 2] = half == 0 ? Vector512.Sum(t2) : sums[at + 2] + Vector512.Sum(t2);
        sums[at + 3] = half == 0 ? Vector512.Sum(t3) : sums[at + 3] + Vector512.Sum(t3);
        sums[at + 4] = half == 0 ? Vector512.Sum(t4) : sums[at + 4] + Vector512.Sum(t4);
    }
}
