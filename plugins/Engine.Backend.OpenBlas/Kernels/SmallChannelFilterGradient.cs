using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Backward filter for float32 layers with 3 input channels and a 3×3 window (the first layer of an
/// RGB network: (32,3,32,32)→32 in <c>engine bench layers</c>, CIFAR ResNet-20's and VGG's first
/// convolutions), on AVX-512. A filter has 27 taps: too few for a GEMM (the column path's product is
/// 27 deep on the other side, and im2col writes 9× the input), and a 3-wide window left 2 of 5 taps of
/// <see cref="DirectFilterGradient"/>'s row kernel idle. Here a work item is one filter whose 27 sums
/// all stay in vector registers over the whole batch, positions along the vector: per 16 input
/// positions 9 (shifted) input loads and the dy of the 3 output rows whose window holds them, 27 FMAs.
/// The lanes are added once at the end.
/// </summary>
/// <remarks>
/// x is first copied, a sample per pool item, into planes padded with zeros on every side (and room
/// for the last tap's vector), so the hot loop needs no lane masks and no bounds; dy is read in place
/// when its rows are whole vectors, else copied into rows padded with zeros. Items write disjoint
/// filters of dw and each runs over the batch in sample order: the same bits at any thread count.
/// The sum order (16 lanes side by side, then across them) is not the column GEMM's, so results differ
/// from it by rounding (tested against a double-precision sum, <c>SmallChannelGradientTests</c>).
/// <c>ENGINE_SMALL_CHANNEL_GRADIENT=off</c> keeps the column path (the tests' reference).
/// </remarks>
internal static unsafe class SmallChannelFilterGradient
{
    /// <summary>
    /// Off: the column path runs these layouts (tests' reference, benchmarks' before/after in one
    /// process); <c>ENGINE_SMALL_CHANNEL_GRADIENT=off</c> starts it off. Covers <see cref="SmallChannelDataGradient"/> too.
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_SMALL_CHANNEL_GRADIENT") != "off";

    /// <summary>
    /// Whether the backward filter pass of <paramref name="l"/> runs here: 2-D, one group, 3 channels,
    /// a 3×3 window, width stride 1, output rows of at most two vectors.
    /// </summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        Enabled && typeof(T) == typeof(float) && SmallGemm.Bits == 512 && Avx512F.IsSupported
        && l.Groups == 1 && l.Channels == 3 && l.Depth.IsIdentity
        && l.Height.Kernel == 3 && l.Width.Kernel == 3 && l.Width.Stride == 1
        && l.Width.Output is > 0 and <= 32 && l.Height.Output > 0;

    /// <summary>dw ← Σₙ dyₙ ⋆ xₙ for the whole batch (dw is overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called a few times a pass: tiering would leave it quick-jitted through a short benchmark
    public static void Run(in ConvolutionLayout l, float* x, float* dy, float* dw, ConvolutionWorkspace workspace)
    {
        var job = new Job { Layout = l, X = x, Dy = dy, Dw = dw };
        job.Halves = l.Width.Output > 16 ? 2 : 1;
        // Padded plane: every row an output row's window reaches, every column its last tap's vector reaches.
        job.XRows = (l.Height.Output - 1) * l.Height.Stride + 2 * l.Height.Dilation + 1;
        job.XStride = 16 * job.Halves + 2 * l.Width.Dilation;
        job.XSample = 3L * job.XRows * job.XStride;
        bool copyDy = l.Width.Output % 16 != 0;
        job.DyRow = copyDy ? 16 * job.Halves : l.Width.Output;
        job.DyPlane = (long)job.DyRow * l.Height.Output;
        job.DySample = job.DyPlane * l.Filters;
        CpuStorage block = workspace.Rent<float>(32 + l.Batch * (job.XSample + (copyDy ? job.DySample : 0)));
        try
        {
            // A zero dy row (two vectors) first: the dy of rows no output row's window reaches.
            job.Zero = (float*)block.Pointer;
            new Span<float>(job.Zero, 32).Clear();
            job.PaddedX = job.Zero + 32;
            job.PaddedDy = copyDy ? job.PaddedX + l.Batch * job.XSample : dy;
            WorkerPool.For(l.Batch, Math.Max(1, Math.Min(WorkerPool.Width, l.Batch)), &Pad, &job);
            WorkerPool.For(l.Filters, Math.Max(1, Math.Min(WorkerPool.Width, l.Filters)), &Filter, &job);
        }
        finally
        {
            workspace.Return(block);
        }
    }

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, Dy, Dw, PaddedX, PaddedDy, Zero;
        public int Halves, XRows, XStride, DyRow;
        public long XSample, DyPlane, DySample;
    }

    /// <summary>Copies sample <paramref name="n"/>'s x into zero-padded planes (and its dy into padded rows where they are not whole vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called a few times a pass: tiering would leave it quick-jitted through a short benchmark
    private static void Pad(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        ConvolutionAxis ha = l.Height, wa = l.Width;
        float* to = job.PaddedX + n * job.XSample;
        new Span<float>(to, checked((int)job.XSample)).Clear();
        // Input column iw lands at padded column iw + pad; only what some tap reads is kept.
        int kept = Math.Min(wa.Input, job.XStride - wa.Pad);
        for (int c = 0; c < 3 && kept > 0; c++)
        {
            for (int r = 0; r < job.XRows; r++)
            {
                int ih = r - ha.Pad;
                if ((uint)ih < (uint)ha.Input)
                {
                    float* from = job.X + ((long)n * 3 + c) * l.InputSize + (long)ih * wa.Input;
                    new ReadOnlySpan<float>(from, kept).CopyTo(new Span<float>(to + ((long)c * job.XRows + r) * job.XStride + wa.Pad, kept));
                }
            }
        }
        if (job.PaddedDy == job.Dy)
        {
            return;
        }
        float* dyTo = job.PaddedDy + n * job.DySample, dyFrom = job.Dy + (long)n * l.Filters * l.OutputSize;
        for (int row = 0; row < l.Filters * ha.Output; row++, dyTo += job.DyRow, dyFrom += wa.Output)
        {
            var padded = new Span<float>(dyTo, job.DyRow);
            new ReadOnlySpan<float>(dyFrom, wa.Output).CopyTo(padded);
            padded[wa.Output..].Clear();
        }
    }

    /// <summary>Item: filter <paramref name="f"/>'s 27 sums over the batch, written into dw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called a few times a pass: tiering would leave it quick-jitted through a short benchmark
    private static void Filter(void* state, int f, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        ConvolutionAxis ha = l.Height;
        // Padded input row r meets window row kh in output row (r − kh·d) / stride, where that is whole
        // and inside the output; elsewhere the row's dy is the zero row (a few rows at the edges).
        int rows = job.XRows;
        long* dyRows = stackalloc long[3 * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int kh = 0; kh < 3; kh++)
            {
                int at = r - kh * ha.Dilation, oh = at / ha.Stride;
                bool inside = at >= 0 && at % ha.Stride == 0 && oh < ha.Output;
                dyRows[3 * r + kh] = inside ? oh * (long)job.DyRow : -1;
            }
        }
        var p = new Pass
        {
            X = job.PaddedX,
            Dy = job.PaddedDy + f * job.DyPlane,
            Zero = job.Zero,
            DyRows = dyRows,
            XSample = job.XSample,
            DySample = job.DySample,
            Plane = (long)rows * job.XStride,
            XStride = job.XStride,
            Dilation = l.Width.Dilation,
            Rows = rows,
            Halves = job.Halves,
            Samples = l.Batch,
        };
        Sweep(ref p, job.Dw + (long)f * 27);
    }

    /// <summary>One filter's sweep: operands at sample 0; per padded row, its three dy rows' offsets (−1: the zero row).</summary>
    private struct Pass
    {
        public float* X, Dy, Zero;
        public long* DyRows;
        public long XSample, DySample, Plane;
        public int XStride, Dilation, Rows, Halves, Samples;
    }

    /// <summary>
    /// 27 sums (channel, window row, window column) in registers over the batch. Each padded input row
    /// is loaded once (3 channels × 3 shifted vectors per half) and multiplied by the dy rows of the
    /// three output rows whose window it lies in: 12 loads per 27 FMAs (loading per output row took
    /// 28 and ran slower than the column path). Each sum is still one chain in (sample, output row,
    /// column) order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sweep(ref Pass p, float* dw)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default, a06 = default, a07 = default, a08 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default, a16 = default, a17 = default, a18 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default, a26 = default, a27 = default, a28 = default;
        long plane = p.Plane;
        int d = p.Dilation, d2 = 2 * p.Dilation, rows = p.Rows, halves = p.Halves, xStride = p.XStride;
        long* dyRows = p.DyRows;
        for (int n = 0; n < p.Samples; n++)
        {
            float* x0 = p.X + n * p.XSample, dyn = p.Dy + n * p.DySample;
            for (int r = 0; r < rows; r++, x0 += xStride)
            {
                long o0 = dyRows[3 * r], o1 = dyRows[3 * r + 1], o2 = dyRows[3 * r + 2];
                if ((o0 & o1 & o2) < 0)
                {
                    continue; // no output row's window holds this row (height stride > 1)
                }
                float* g0 = o0 < 0 ? p.Zero : dyn + o0, g1 = o1 < 0 ? p.Zero : dyn + o1, g2 = o2 < 0 ? p.Zero : dyn + o2;
                for (int h = 0; h < halves; h++)
                {
                    Vector512<float> e0 = Vector512.Load(g0 + 16 * h), e1 = Vector512.Load(g1 + 16 * h), e2 = Vector512.Load(g2 + 16 * h);
                    float* s = x0 + 16 * h, t = s + plane, u = t + plane;
                    Vector512<float> v = Vector512.Load(s);
                    a00 = Vector512.FusedMultiplyAdd(e0, v, a00); a03 = Vector512.FusedMultiplyAdd(e1, v, a03); a06 = Vector512.FusedMultiplyAdd(e2, v, a06);
                    v = Vector512.Load(s + d);
                    a01 = Vector512.FusedMultiplyAdd(e0, v, a01); a04 = Vector512.FusedMultiplyAdd(e1, v, a04); a07 = Vector512.FusedMultiplyAdd(e2, v, a07);
                    v = Vector512.Load(s + d2);
                    a02 = Vector512.FusedMultiplyAdd(e0, v, a02); a05 = Vector512.FusedMultiplyAdd(e1, v, a05); a08 = Vector512.FusedMultiplyAdd(e2, v, a08);
                    v = Vector512.Load(t);
                    a10 = Vector512.FusedMultiplyAdd(e0, v, a10); a13 = Vector512.FusedMultiplyAdd(e1, v, a13); a16 = Vector512.FusedMultiplyAdd(e2, v, a16);
                    v = Vector512.Load(t + d);
                    a11 = Vector512.FusedMultiplyAdd(e0, v, a11); a14 = Vector512.FusedMultiplyAdd(e1, v, a14); a17 = Vector512.FusedMultiplyAdd(e2, v, a17);
                    v = Vector512.Load(t + d2);
                    a12 = Vector512.FusedMultiplyAdd(e0, v, a12); a15 = Vector512.FusedMultiplyAdd(e1, v, a15); a18 = Vector512.FusedMultiplyAdd(e2, v, a18);
                    v = Vector512.Load(u);
                    a20 = Vector512.FusedMultiplyAdd(e0, v, a20); a23 = Vector512.FusedMultiplyAdd(e1, v, a23); a26 = Vector512.FusedMultiplyAdd(e2, v, a26);
                    v = Vector512.Load(u + d);
                    a21 = Vector512.FusedMultiplyAdd(e0, v, a21); a24 = Vector512.FusedMultiplyAdd(e1, v, a24); a27 = Vector512.FusedMultiplyAdd(e2, v, a27);
                    v = Vector512.Load(u + d2);
                    a22 = Vector512.FusedMultiplyAdd(e0, v, a22); a25 = Vector512.FusedMultiplyAdd(e1, v, a25); a28 = Vector512.FusedMultiplyAdd(e2, v, a28);
                }
            }
        }
        Put(dw, a00, a01, a02, a03, a04, a05, a06, a07, a08);
        Put(dw + 9, a10, a11, a12, a13, a14, a15, a16, a17, a18);
        Put(dw + 18, a20, a21, a22, a23, a24, a25, a26, a27, a28);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* dw, Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3, Vector512<float> t4,
        Vector512<float> t5, Vector512<float> t6, Vector512<float> t7, Vector512<float> t8)
    {
        dw[0] = Vector512.Sum(t0);
        dw[1] = Vector512.Sum(t1);
        dw[2] = Vector512.Sum(t2);
        dw[3] = Vector512.Sum(t3);
        dw[4] = Vector512.Sum(t4);
        dw[5] = Vector512.Sum(t5);
        dw[6] = Vector512.Sum(t6);
        dw[7] = Vector512.Sum(t7);
        dw[8] = Vector512.Sum(t8);
    }
}
