using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Direct forward convolution for float32 layers with few input taps and narrow rows (LeNet-5's
/// 1→6 and 6→16 at 5×5: 25 and 150 taps, rows 28 and 10 wide), on AVX-512. One output row of a
/// block of filters lives in registers (6 filters × 2 vectors, or 8 filters × 1 vector); each tap
/// loads its input row once, shifted by the tap, with a lane mask that reads the padding as
/// nothing, and feeds it to every filter of the block. The taps of an output row that lie inside
/// the input are listed first (offset, tap, mask), so the hot loop is one flat loop the JIT keeps
/// in registers (a loop nest over channel, row and column spilled every accumulator per tap), and
/// the filters' weights are packed tap-major per block so each tap reads one pointer. No column matrix is written: im2col was
/// the largest single cost of a LeNet-5 step (perf: 15–22%), since its columns are 25× the input.
/// </summary>
/// <remarks>
/// Each output is the same chain of fused multiply-adds over the taps in (channel, depth, row,
/// column) order as the column-matrix GEMM (<see cref="SmallGemm.Multiply"/>); taps in the padding
/// are skipped rather than multiplied by zero, which can only turn a −0 result into +0 or back.
/// Taken where the own kernels run at 512 bits (<see cref="SmallGemm.Bits"/>), so
/// <c>ENGINE_SMALL_GEMM=off|256|128</c> and the tests' reference runs keep im2col + GEMM.
/// </remarks>
internal static unsafe partial class DirectConvolution
{
    /// <summary>The most taps (channels × window) a filter may have here: the depth the own GEMM kernel takes too.</summary>
    private const int MaxTaps = 256;

    /// <summary>Whether the forward pass of <paramref name="l"/> runs here.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged => Fits<T>(l, MaxTaps, MaxListed);

    /// <summary>
    /// Whether <see cref="Forward"/> can run <paramref name="l"/> with at most <paramref name="maxTaps"/> taps
    /// and <paramref name="maxListed"/> (output row, tap) pairs on the stack; backward data
    /// (<see cref="DirectDataGradient"/>) runs its transposed layouts with higher limits, where the
    /// FMA order need not match a GEMM's.
    /// </summary>
    internal static bool Fits<T>(in ConvolutionLayout l, int maxTaps, int maxListed) where T : unmanaged =>
        typeof(T) == typeof(float) && SmallGemm.Bits == 512 && Avx512F.IsSupported
        && l.Groups == 1 && !l.IsPointwise && l.ColumnRows <= maxTaps && l.Filters <= MaxFilters
        && (long)l.Depth.Output * l.Height.Output * l.ColumnRows <= maxListed
        && l.Width.Stride == 1 && l.Width.Output is > 0 and <= 32;

    /// <summary>The most filters: their packed weights (at most 32 × 256 floats, 32 KB; 32 × 512 for backward data's transposed layouts) sit on the stack.</summary>
    private const int MaxFilters = 32;

    /// <summary>The most (output row, tap) pairs listed on the stack (3 ints each: 48 KB); LeNet's take 700 and 1,500.</summary>
    private const int MaxListed = 4096;

    /// <summary>
    /// Off: a forward epilogue (bias, batch norm, ReLU of a fused inference chain) runs as its own pass
    /// after the convolution, as before (the reference of <c>DirectEpilogueTests</c>);
    /// <c>ENGINE_DIRECT_EPILOGUE=off</c> starts it off.
    /// </summary>
    internal static bool EpilogueInKernel { get; set; } = Environment.GetEnvironmentVariable("ENGINE_DIRECT_EPILOGUE") != "off";

    /// <summary>
    /// y ← x ⋆ w for the whole batch, one sample per item of the <see cref="WorkerPool"/>. The packed
    /// weights are made here; the plan (masks, each output row's list of taps) is made once per layout
    /// (<see cref="DirectConvolutionPlan"/>). Returns whether <paramref name="epilogue"/> was applied
    /// in the kernel, to each output vector before it is stored (y = f(scale·acc + shift), ReLU or none:
    /// the same FMA and max as <see cref="ChannelAffineKernels"/>, so the same bits); false: the caller applies it.
    /// With <paramref name="pool"/> (only with an epilogue applied here), y is the 2×2 stride-2 max pooling of the
    /// output instead (<see cref="ConvolutionPool"/>), each pair of output rows pooled while it is in L1.
    /// </summary>
    public static bool Forward(in ConvolutionLayout l, float* x, float* w, float* y, in ConvolutionEpilogue epilogue = default, bool pool = false)
    {
        int block = Block(l), blocks = (l.Filters + block - 1) / block;
        float* packed = stackalloc float[blocks * block * l.ColumnRows];
        Pack(l, w, block, packed);
        bool inKernel = epilogue.IsSet && EpilogueInKernel && epilogue.Activation is null or Activation.Relu;
        float* scale = stackalloc float[inKernel ? blocks * block : 0], shift = stackalloc float[inKernel ? blocks * block : 0];
        for (int f = 0; inKernel && f < blocks * block; f++)
        {
            // Filters past the last repeat it, like the packed weights (their sums are dropped).
            scale[f] = ((float*)epilogue.Scale)[Math.Min(f, l.Filters - 1)];
            shift[f] = ((float*)epilogue.Shift)[Math.Min(f, l.Filters - 1)];
        }
        DirectConvolutionPlan plan = DirectConvolutionPlan.For(l, block);
        fixed (Vector512<float>* masks = plan.Masks)
        fixed (int* offsets = plan.Offsets, taps = plan.Taps, maskAt = plan.MaskAt, counts = plan.Counts, pairs = plan.PairDelta)
        {
            var job = new Job
            {
                Layout = l,
                X = x,
                Y = y,
                Packed = packed,
                Block = block,
                Masks = masks,
                Store0 = plan.Store0,
                Store1 = plan.Store1,
                Offsets = offsets,
                Taps = taps,
                MaskAt = maskAt,
                Counts = counts,
                PairDelta = pairs,
                Scale = inKernel ? scale : null,
                Shift = inKernel ? shift : null,
                Relu = inKernel && epilogue.Activation == Activation.Relu,
                Pool = pool,
            };
            WorkerPool.For(l.Batch, Math.Max(1, Math.Min(WorkerPool.Width, l.Batch)), &Sample, &job);
        }
        return inKernel;
    }

    /// <summary>Filters per register block: 6 for rows of two vectors, 8 for one.</summary>
    private static int Block(in ConvolutionLayout l) => l.Width.Output > 16 ? 6 : 8;

    /// <summary>
    /// packed[b][p][f] = w[b·block + f][p]: per block of filters, tap-major; filters past the last
    /// repeat it (their sums are computed and dropped).
    /// </summary>
    private static void Pack(in ConvolutionLayout l, float* w, int block, float* packed)
    {
        int taps = l.ColumnRows;
        for (int b = 0; b * block < l.Filters; b++)
        {
            for (int p = 0; p < taps; p++)
            {
                for (int f = 0; f < block; f++)
                {
                    int filter = Math.Min(b * block + f, l.Filters - 1);
                    packed[((long)b * taps + p) * block + f] = w[(long)filter * taps + p];
                }
            }
        }
    }

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, Packed, Y;
        public int Block;
        public Vector512<float> Store0, Store1;
        public Vector512<float>* Masks;
        public int* Offsets, Taps, MaskAt, Counts; // per output row: ColumnRows slots each, Counts[r] used
        public int* PairDelta; // per output row: offset from its taps to row r + 1's when they pair, else 0
        public float* Scale, Shift; // the epilogue per filter (padded to whole blocks), or null
        public bool Relu, Pool;
    }

    private static void Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        if (job.Pool)
        {
            SamplePooled(ref job, n);
            return;
        }
        ref readonly ConvolutionLayout l = ref job.Layout;
        float* x = job.X + (long)n * l.Channels * l.InputSize, y = job.Y + (long)n * l.Filters * l.OutputSize;
        int outputs = l.OutputSize, rows = l.Depth.Output * l.Height.Output, width = l.Width.Output;
        for (int r = 0; r < rows; r++)
        {
            float* o = y + (long)r * width;
            if (job.PairDelta[r] != 0)
            {
                PairedRows(ref job, r, x, o, outputs);
                r++;
                continue;
            }
            OneRow(ref job, r, x, o, outputs);
        }
    }

    // Output rows r and r + 1 (their tap lists differ by PairDelta[r]) of every filter, filter k's at o + k·stride and o + k·stride + width.
    private static void PairedRows(ref Job job, int r, float* x, float* o, int stride)
    {
        ref readonly ConvolutionLayout l = ref job.Layout;
        int taps = l.ColumnRows, at = r * taps;
        for (int f = 0; f < l.Filters; f += 8)
        {
            Rows8x1x2(job.Counts[r], job.Offsets + at, job.Taps + at, job.MaskAt + at, job.PairDelta[r], x, job.Packed + (long)f * taps, job.Masks,
                o + (long)f * stride, stride, l.Width.Output, Math.Min(8, l.Filters - f), job.Store0, new Epilogue(job.Scale, job.Shift, f, job.Relu));
        }
    }

    // Output row r of every filter, filter k's at o + k·stride.
    private static void OneRow(ref Job job, int r, float* x, float* o, int stride)
    {
        ref readonly ConvolutionLayout l = ref job.Layout;
        int taps = l.ColumnRows, at = r * taps;
        for (int f = 0; f < l.Filters; f += job.Block)
        {
            float* wb = job.Packed + (long)f * taps;
            if (job.Block == 6)
            {
                Row6x2(job.Counts[r], job.Offsets + at, job.Taps + at, job.MaskAt + at, x, wb, job.Masks,
                    o + (long)f * stride, stride, Math.Min(6, l.Filters - f), job.Store0, job.Store1, new Epilogue(job.Scale, job.Shift, f, job.Relu));
            }
            else
            {
                Row8x1(job.Counts[r], job.Offsets + at, job.Taps + at, job.MaskAt + at, x, wb, job.Masks,
                    o + (long)f * stride, stride, Math.Min(8, l.Filters - f), job.Store0, new Epilogue(job.Scale, job.Shift, f, job.Relu));
            }
        }
    }

    // Six filters × two vectors (rows 17–32 wide): 12 accumulators; filters past `filters` are not stored.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row6x2(int count, int* offsets, int* taps, int* maskAt, float* x, float* w, Vector512<float>* masks, float* y, int stride, int filters,
        Vector512<float> store0, Vector512<float> store1, Epilogue e)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector512<float> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        for (int i = 0; i < count; i++)
        {
            float* src = x + offsets[i], wp = w + taps[i];
            Vector512<float>* m = masks + maskAt[i];
            Vector512<float> v0 = Avx512F.MaskLoad(src, m[0], Vector512<float>.Zero);
            Vector512<float> v1 = Avx512F.MaskLoad(src + 16, m[1], Vector512<float>.Zero);
            Vector512<float> s = Vector512.Create(wp[0]);
            a00 = Vector512.FusedMultiplyAdd(s, v0, a00); a01 = Vector512.FusedMultiplyAdd(s, v1, a01);
            s = Vector512.Create(wp[1]);
            a10 = Vector512.FusedMultiplyAdd(s, v0, a10); a11 = Vector512.FusedMultiplyAdd(s, v1, a11);
            s = Vector512.Create(wp[2]);
            a20 = Vector512.FusedMultiplyAdd(s, v0, a20); a21 = Vector512.FusedMultiplyAdd(s, v1, a21);
            s = Vector512.Create(wp[3]);
            a30 = Vector512.FusedMultiplyAdd(s, v0, a30); a31 = Vector512.FusedMultiplyAdd(s, v1, a31);
            s = Vector512.Create(wp[4]);
            a40 = Vector512.FusedMultiplyAdd(s, v0, a40); a41 = Vector512.FusedMultiplyAdd(s, v1, a41);
            s = Vector512.Create(wp[5]);
            a50 = Vector512.FusedMultiplyAdd(s, v0, a50); a51 = Vector512.FusedMultiplyAdd(s, v1, a51);
        }
        Put2(y, e.At(a00, 0), e.At(a01, 0), store0, store1);
        if (filters > 1) { Put2(y + stride, e.At(a10, 1), e.At(a11, 1), store0, store1); }
        if (filters > 2) { Put2(y + 2 * stride, e.At(a20, 2), e.At(a21, 2), store0, store1); }
        if (filters > 3) { Put2(y + 3 * stride, e.At(a30, 3), e.At(a31, 3), store0, store1); }
        if (filters > 4) { Put2(y + 4 * stride, e.At(a40, 4), e.At(a41, 4), store0, store1); }
        if (filters > 5) { Put2(y + 5 * stride, e.At(a50, 5), e.At(a51, 5), store0, store1); }
    }

    // Eight filters × one vector (rows up to 16 wide): 8 accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row8x1(int count, int* offsets, int* taps, int* maskAt, float* x, float* w, Vector512<float>* masks, float* y, int stride, int filters,
        Vector512<float> store0, Epilogue e)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int i = 0; i < count; i++)
        {
            float* wp = w + taps[i];
            Vector512<float> v = Avx512F.MaskLoad(x + offsets[i], masks[maskAt[i]], Vector512<float>.Zero);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(wp[0]), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(wp[1]), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(wp[2]), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(wp[3]), v, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Create(wp[4]), v, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Create(wp[5]), v, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Create(wp[6]), v, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Create(wp[7]), v, a7);
        }
        Avx512F.MaskStore(y, store0, e.At(a0, 0));
        if (filters > 1) { Avx512F.MaskStore(y + stride, store0, e.At(a1, 1)); }
        if (filters > 2) { Avx512F.MaskStore(y + 2 * stride, store0, e.At(a2, 2)); }
        if (filters > 3) { Avx512F.MaskStore(y + 3 * stride, store0, e.At(a3, 3)); }
        if (filters > 4) { Avx512F.MaskStore(y + 4 * stride, store0, e.At(a4, 4)); }
        if (filters > 5) { Avx512F.MaskStore(y + 5 * stride, store0, e.At(a5, 5)); }
        if (filters > 6) { Avx512F.MaskStore(y + 6 * stride, store0, e.At(a6, 6)); }
        if (filters > 7) { Avx512F.MaskStore(y + 7 * stride, store0, e.At(a7, 7)); }
    }

    // Eight filters × one vector × two output rows whose tap lists differ by `delta` input elements:
    // 16 accumulators, each broadcast weight used twice.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows8x1x2(int count, int* offsets, int* taps, int* maskAt, int delta, float* x, float* w, Vector512<float>* masks,
        float* y, int stride, int width, int filters, Vector512<float> store0, Epilogue e)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int i = 0; i < count; i++)
        {
            float* wp = w + taps[i], src = x + offsets[i];
            Vector512<float> m = masks[maskAt[i]];
            Vector512<float> u = Avx512F.MaskLoad(src, m, Vector512<float>.Zero), v = Avx512F.MaskLoad(src + delta, m, Vector512<float>.Zero);
            Vector512<float> s = Vector512.Create(wp[0]);
            a0 = Vector512.FusedMultiplyAdd(s, u, a0); b0 = Vector512.FusedMultiplyAdd(s, v, b0);
            s = Vector512.Create(wp[1]);
            a1 = Vector512.FusedMultiplyAdd(s, u, a1); b1 = Vector512.FusedMultiplyAdd(s, v, b1);
            s = Vector512.Create(wp[2]);
            a2 = Vector512.FusedMultiplyAdd(s, u, a2); b2 = Vector512.FusedMultiplyAdd(s, v, b2);
            s = Vector512.Create(wp[3]);
            a3 = Vector512.FusedMultiplyAdd(s, u, a3); b3 = Vector512.FusedMultiplyAdd(s, v, b3);
            s = Vector512.Create(wp[4]);
            a4 = Vector512.FusedMultiplyAdd(s, u, a4); b4 = Vector512.FusedMultiplyAdd(s, v, b4);
            s = Vector512.Create(wp[5]);
            a5 = Vector512.FusedMultiplyAdd(s, u, a5); b5 = Vector512.FusedMultiplyAdd(s, v, b5);
            s = Vector512.Create(wp[6]);
            a6 = Vector512.FusedMultiplyAdd(s, u, a6); b6 = Vector512.FusedMultiplyAdd(s, v, b6);
            s = Vector512.Create(wp[7]);
            a7 = Vector512.FusedMultiplyAdd(s, u, a7); b7 = Vector512.FusedMultiplyAdd(s, v, b7);
        }
        Put1x2(y, width, e.At(a0, 0), e.At(b0, 0), store0);
        if (filters > 1) { Put1x2(y + stride, width, e.At(a1, 1), e.At(b1, 1), store0); }
        if (filters > 2) { Put1x2(y + 2 * stride, width, e.At(a2, 2), e.At(b2, 2), store0); }
        if (filters > 3) { Put1x2(y + 3 * stride, width, e.At(a3, 3), e.At(b3, 3), store0); }
        if (filters > 4) { Put1x2(y + 4 * stride, width, e.At(a4, 4), e.At(b4, 4), store0); }
        if (filters > 5) { Put1x2(y + 5 * stride, width, e.At(a5, 5), e.At(b5, 5), store0); }
        if (filters > 6) { Put1x2(y + 6 * stride, width, e.At(a6, 6), e.At(b6, 6), store0); }
        if (filters > 7) { Put1x2(y + 7 * stride, width, e.At(a7, 7), e.At(b7, 7), store0); }
    }

    /// <summary>The epilogue of one register block: filter <c>first + i</c>'s scale and shift, or nothing.</summary>
    private readonly struct Epilogue(float* scale, float* shift, int first, bool relu)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> At(Vector512<float> sum, int i)
        {
            if (scale is null)
            {
                return sum;
            }
            Vector512<float> v = Vector512.FusedMultiplyAdd(sum, Vector512.Create(scale[first + i]), Vector512.Create(shift[first + i]));
            return relu ? Vector512.Max(v, Vector512<float>.Zero) : v;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put1x2(float* o, int width, Vector512<float> upper, Vector512<float> lower, Vector512<float> store0)
    {
        Avx512F.MaskStore(o, store0, upper);
        Avx512F.MaskStore(o + width, store0, lower);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put2(float* o, Vector512<float> first, Vector512<float> second, Vector512<float> store0, Vector512<float> store1)
    {
        Avx512F.MaskStore(o, store0, first);
        Avx512F.MaskStore(o + 16, store1, second);
    }
}
