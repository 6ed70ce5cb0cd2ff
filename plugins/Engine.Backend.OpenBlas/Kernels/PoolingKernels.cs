using System.Numerics;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Max and average pooling over 1 to 3 spatial axes. Every rank runs through one 3-D kernel (missing
/// leading axes have size 1, window 1, stride 1), with a fast path for the ubiquitous 2×2 stride-2
/// window without padding; small 2-D float windows go to <see cref="PoolLines"/>, other float windows
/// to <see cref="PoolSimd"/>.
/// </summary>
/// <remarks>
/// Conventions every backend must share: padding never takes part in a max (a window that holds only
/// padding gives 0 and routes no gradient); max backward sends each dy to the first maximum of its
/// window in scan order (depth, row, column), a NaN counting as the maximum; average pooling divides
/// by the whole window with <see cref="PoolingGeometry.CountIncludePad"/>, otherwise by the number of
/// real elements in the window (0 when there are none). Dilation is honoured; groups are ignored.
/// </remarks>
internal static unsafe class PoolingKernels
{
    /// <summary>y ← pooling of x, on operands the contract has checked.</summary>
    public static void Forward(in PoolPlan plan, PoolingGeometry geometry, DataType type, nint x, nint y)
    {
        int nx = plan.Planes * plan.InVolume, ny = plan.Planes * plan.OutVolume;
        bool max = geometry.Mode == PoolingMode.Max;
        if (type == DataType.Float32 && PoolPointwise.Takes(plan))
        {
            PoolPointwise.Forward(plan, max, (float*)x, (float*)y);
        }
        else if (type == DataType.Float32)
        {
            var job = new PoolJob<float> { Plan = plan, Max = max, IncludePad = geometry.CountIncludePad, X = (float*)x, Y = (float*)y };
            Split(ref job, plan.IsTwoByTwo ? &PoolForwardPart<float> : PoolLines.Takes(plan) ? &LinesForwardPart : &VectorForwardPart);
        }
        else if (plan.IsTwoByTwo)
        {
            var job = new PoolJob<double> { Plan = plan, Max = max, X = (double*)x, Y = (double*)y };
            Split(ref job, &PoolForwardPart<double>);
        }
        else
        {
            PoolForwardKernel(plan, max, geometry.CountIncludePad, NativeSpan.Of<double>(x, nx), NativeSpan.Of<double>(y, ny));
        }
    }

    /// <summary>dx ← pooling gradient (overwritten); the arg-max is found again from x.</summary>
    public static void Backward(in PoolPlan plan, PoolingGeometry geometry, DataType type, nint x, nint dy, nint dx)
    {
        int nx = plan.Planes * plan.InVolume, ny = plan.Planes * plan.OutVolume;
        bool max = geometry.Mode == PoolingMode.Max;
        if (type == DataType.Float32 && PoolPointwise.Takes(plan))
        {
            PoolPointwise.Backward(plan, (float*)dy, (float*)dx);
        }
        else if (type == DataType.Float32)
        {
            var job = new PoolJob<float> { Plan = plan, Max = max, IncludePad = geometry.CountIncludePad, X = (float*)x, Dy = (float*)dy, Dx = (float*)dx };
            Split(ref job, plan.IsTwoByTwo ? &PoolBackwardPart<float> : PoolLines.Takes(plan) ? &LinesBackwardPart : &VectorBackwardPart);
        }
        else if (plan.IsTwoByTwo)
        {
            var job = new PoolJob<double> { Plan = plan, Max = max, X = (double*)x, Dy = (double*)dy, Dx = (double*)dx };
            Split(ref job, &PoolBackwardPart<double>);
        }
        else
        {
            PoolBackwardKernel(plan, max, geometry.CountIncludePad, NativeSpan.Of<double>(x, nx), NativeSpan.Of<double>(dy, ny), NativeSpan.Of<double>(dx, nx));
        }
    }

    /// <summary>
    /// Bytes of arg-max a training forward keeps for its backward (<see cref="ForwardKeepingArgMax"/>),
    /// 0 when this plan, mode and type keep none (the backward then finds the arg-max again from x).
    /// </summary>
    public static long ArgMaxBytes(in PoolPlan plan, PoolingGeometry geometry, DataType type) =>
        type == DataType.Float32 ? PoolLines.ArgMaxBytes(plan, geometry.Mode == PoolingMode.Max) : 0;

    /// <summary>y ← max pooling of x, each output's window tap kept in <paramref name="argMax"/> (<see cref="ArgMaxBytes"/> &gt; 0).</summary>
    public static void ForwardKeepingArgMax(in PoolPlan plan, nint x, nint y, nint argMax)
    {
        var job = new PoolJob<float> { Plan = plan, Max = true, X = (float*)x, Y = (float*)y, ArgMax = (byte*)argMax };
        Split(ref job, &ArgMaxForwardPart);
    }

    /// <summary>dx ← max pooling gradient (overwritten) from the taps <see cref="ForwardKeepingArgMax"/> kept.</summary>
    public static void BackwardFromArgMax(in PoolPlan plan, nint argMax, nint dy, nint dx)
    {
        var job = new PoolJob<float> { Plan = plan, Max = true, Dy = (float*)dy, Dx = (float*)dx, ArgMax = (byte*)argMax };
        Split(ref job, &ArgMaxBackwardPart);
    }

    private static void ArgMaxForwardPart(void* state, int part, int worker)
    {
        ref PoolJob<float> j = ref *(PoolJob<float>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Plan.Planes, 1);
        PoolLines.ForwardKeepingArgMax(j.Plan, j.X, j.Y, j.ArgMax, first, end);
    }

    private static void ArgMaxBackwardPart(void* state, int part, int worker)
    {
        ref PoolJob<float> j = ref *(PoolJob<float>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Plan.Planes, 1);
        PoolLines.BackwardFromArgMax(j.Plan, j.ArgMax, j.Dy, j.Dx, first, end);
    }

    /// <summary>What the parts of a parallel pass read: plan, mode, operands and the number of parts.</summary>
    private struct PoolJob<T> where T : unmanaged
    {
        public PoolPlan Plan;
        public bool Max, IncludePad;
        public T* X, Y, Dy, Dx;
        public byte* ArgMax;
        public int Parts;
    }

    /// <summary>Runs <paramref name="part"/> over the planes, split over the pool when the pass is big enough.</summary>
    private static void Split<T>(ref PoolJob<T> job, delegate* managed<void*, int, int, void> part) where T : unmanaged
    {
        job.Parts = Math.Min(ParallelSplit.Parts((long)job.Plan.Planes * job.Plan.InVolume), job.Plan.Planes);
        fixed (PoolJob<T>* state = &job)
        {
            if (job.Parts <= 1)
            {
                job.Parts = 1;
                part(state, 0, 0);
                return;
            }
            WorkerPool.For(job.Parts, job.Parts, part, state);
        }
    }

    private static void VectorForwardPart(void* state, int part, int worker)
    {
        ref PoolJob<float> j = ref *(PoolJob<float>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Plan.Planes, 1);
        PoolSimd.Forward(j.Plan, j.Max, j.IncludePad, j.X, j.Y, first, end);
    }

    private static void VectorBackwardPart(void* state, int part, int worker)
    {
        ref PoolJob<float> j = ref *(PoolJob<float>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Plan.Planes, 1);
        PoolSimd.Backward(j.Plan, j.Max, j.IncludePad, j.X, j.Dy, j.Dx, first, end);
    }

    private static void LinesForwardPart(void* state, int part, int worker)
    {
        ref PoolJob<float> j = ref *(PoolJob<float>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Plan.Planes, 1);
        PoolLines.Forward(j.Plan, j.Max, j.IncludePad, j.X, j.Y, first, end);
    }

    private static void LinesBackwardPart(void* state, int part, int worker)
    {
        ref PoolJob<float> j = ref *(PoolJob<float>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Plan.Planes, 1);
        PoolLines.Backward(j.Plan, j.Max, j.IncludePad, j.X, j.Dy, j.Dx, first, end);
    }

    /// <summary>The plain path: every position on its own, in scan order (the reference the vector path matches).</summary>
    internal static void PoolForwardKernel<T>(in PoolPlan p, bool max, bool includePad, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (p.IsTwoByTwo)
        {
            PoolForwardTwoByTwo(p, max, x, y);
            return;
        }
        for (int plane = 0; plane < p.Planes; plane++)
        {
            ReadOnlySpan<T> xp = x.Slice(plane * p.InVolume, p.InVolume);
            Span<T> yp = y.Slice(plane * p.OutVolume, p.OutVolume);
            int o = 0;
            for (int od = 0; od < p.OutD; od++)
            {
                (int d0, int d1) = Taps(od, p.SD, p.PD, p.KD, p.DD, p.InD);
                for (int oh = 0; oh < p.OutH; oh++)
                {
                    (int h0, int h1) = Taps(oh, p.SH, p.PH, p.KH, p.DH, p.InH);
                    for (int ow = 0; ow < p.OutW; ow++, o++)
                    {
                        yp[o] = ForwardAt(p, max, includePad, xp, d0, d1, h0, h1, ow);
                    }
                }
            }
        }
    }

    /// <summary>The plain backward path (dx overwritten).</summary>
    internal static void PoolBackwardKernel<T>(in PoolPlan p, bool max, bool includePad, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (p.IsTwoByTwo)
        {
            PoolBackwardTwoByTwo(p, max, x, dy, dx);
            return;
        }
        // Windows may overlap (stride < window), so gradients accumulate into a cleared dx.
        dx.Clear();
        for (int plane = 0; plane < p.Planes; plane++)
        {
            ReadOnlySpan<T> xp = x.Slice(plane * p.InVolume, p.InVolume);
            Span<T> dxp = dx.Slice(plane * p.InVolume, p.InVolume);
            ReadOnlySpan<T> dyp = dy.Slice(plane * p.OutVolume, p.OutVolume);
            int o = 0;
            for (int od = 0; od < p.OutD; od++)
            {
                (int d0, int d1) = Taps(od, p.SD, p.PD, p.KD, p.DD, p.InD);
                for (int oh = 0; oh < p.OutH; oh++)
                {
                    (int h0, int h1) = Taps(oh, p.SH, p.PH, p.KH, p.DH, p.InH);
                    for (int ow = 0; ow < p.OutW; ow++, o++)
                    {
                        if (!max)
                        {
                            AverageBackwardAt(p, includePad, dxp, dyp[o], d0, d1, h0, h1, ow);
                            continue;
                        }
                        int at = ArgMaxAt(p, xp, d0, d1, h0, h1, ow);
                        if (at >= 0)
                        {
                            dxp[at] += dyp[o];
                        }
                    }
                }
            }
        }
    }

    /// <summary>One output of a window whose depth and row taps are [d0, d1) and [h0, h1).</summary>
    internal static T ForwardAt<T>(in PoolPlan p, bool max, bool includePad, ReadOnlySpan<T> xp, int d0, int d1, int h0, int h1, int ow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int w0, int w1) = Taps(ow, p.SW, p.PW, p.KW, p.DW, p.InW);
        int count = ((d1 - d0) / p.DD) * ((h1 - h0) / p.DH) * ((w1 - w0) / p.DW);
        if (count == 0)
        {
            return T.Zero;
        }
        if (max)
        {
            return xp[ArgMax(xp, p, d0, d1, h0, h1, w0, w1)];
        }
        T sum = T.Zero;
        for (int d = d0; d < d1; d += p.DD)
        {
            for (int h = h0; h < h1; h += p.DH)
            {
                int row = ((d * p.InH) + h) * p.InW;
                for (int w = w0; w < w1; w += p.DW)
                {
                    sum += xp[row + w];
                }
            }
        }
        return sum / T.CreateTruncating(includePad ? p.KD * p.KH * p.KW : count);
    }

    /// <summary>Plane offset of one output's first maximum, or −1 when its window holds only padding.</summary>
    internal static int ArgMaxAt<T>(in PoolPlan p, ReadOnlySpan<T> xp, int d0, int d1, int h0, int h1, int ow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int w0, int w1) = Taps(ow, p.SW, p.PW, p.KW, p.DW, p.InW);
        return d1 == d0 || h1 == h0 || w1 == w0 ? -1 : ArgMax(xp, p, d0, d1, h0, h1, w0, w1);
    }

    /// <summary>Adds one output's share of <paramref name="g"/> to each real element of its window, in scan order.</summary>
    internal static void AverageBackwardAt<T>(in PoolPlan p, bool includePad, Span<T> dxp, T g, int d0, int d1, int h0, int h1, int ow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int w0, int w1) = Taps(ow, p.SW, p.PW, p.KW, p.DW, p.InW);
        int count = ((d1 - d0) / p.DD) * ((h1 - h0) / p.DH) * ((w1 - w0) / p.DW);
        if (count == 0)
        {
            return;
        }
        T share = g / T.CreateTruncating(includePad ? p.KD * p.KH * p.KW : count);
        for (int d = d0; d < d1; d += p.DD)
        {
            for (int h = h0; h < h1; h += p.DH)
            {
                int row = ((d * p.InH) + h) * p.InW;
                for (int w = w0; w < w1; w += p.DW)
                {
                    dxp[row + w] += share;
                }
            }
        }
    }

    /// <summary>
    /// The real (non-padding) taps of output position <paramref name="o"/> on one axis, as input
    /// coordinates [first, end) stepping by the dilation: end − first is a multiple of the dilation.
    /// </summary>
    internal static (int First, int End) Taps(int o, int stride, int pad, int kernel, int dilation, int input)
    {
        int start = (o * stride) - pad;
        // First tap t with start + t·dilation >= 0, and one past the last with start + t·dilation < input.
        int tFirst = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int tEnd = input - start <= 0 ? 0 : Math.Min(kernel, (input - start + dilation - 1) / dilation);
        if (tEnd <= tFirst)
        {
            return (0, 0);
        }
        return (start + (tFirst * dilation), start + (tEnd * dilation));
    }

    /// <summary>Plane offset of the first maximum of a window in scan order; a NaN wins over numbers.</summary>
    private static int ArgMax<T>(ReadOnlySpan<T> xp, in PoolPlan p, int d0, int d1, int h0, int h1, int w0, int w1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = ((d0 * p.InH) + h0) * p.InW + w0;
        T bestValue = xp[best];
        for (int d = d0; d < d1; d += p.DD)
        {
            for (int h = h0; h < h1; h += p.DH)
            {
                int row = ((d * p.InH) + h) * p.InW;
                for (int w = w0; w < w1; w += p.DW)
                {
                    // Selects on the index and reloads the value: random data makes a branch here
                    // mispredict about as often as not, which costs more than the reload.
                    best = Beats(xp[row + w], bestValue) ? row + w : best;
                    bestValue = xp[best];
                }
            }
        }
        return best;
    }

    /// <summary>Strictly greater (so ties keep the first), or the first NaN.</summary>
    /// <remarks>Non-short-circuit operators keep it free of branches.</remarks>
    internal static bool Beats<T>(T candidate, T best) where T : unmanaged, IFloatingPointIeee754<T> =>
        (candidate > best) | (T.IsNaN(candidate) & !T.IsNaN(best));

    /// <summary>
    /// Offset (from the top-left element) of the first maximum of a 2×2 window whose rows start at
    /// <paramref name="top"/> and top + <paramref name="width"/>: 0, 1, width or width + 1. Each
    /// row's winner is picked first, then the rows, which keeps scan order on ties; only indices
    /// are selected, so there are no data-dependent branches.
    /// </summary>
    private static int TwoByTwoArgMax<T>(ReadOnlySpan<T> x, int top, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int upper = Beats(x[top + 1], x[top]) ? 1 : 0;
        int lower = width + (Beats(x[top + width + 1], x[top + width]) ? 1 : 0);
        return Beats(x[top + lower], x[top + upper]) ? lower : upper;
    }

    private static void PoolForwardTwoByTwo<T>(in PoolPlan p, bool max, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = p.Planes * p.InD, width = p.InW, planeIn = p.InH * p.InW, planeOut = p.OutH * p.OutW;
        T quarter = T.CreateTruncating(0.25);
        for (int plane = 0; plane < planes; plane++)
        {
            for (int oh = 0; oh < p.OutH; oh++)
            {
                int top = (plane * planeIn) + (2 * oh * width);
                Span<T> yr = y.Slice((plane * planeOut) + (oh * p.OutW), p.OutW);
                if (max)
                {
                    int done = typeof(T) == typeof(float)
                        ? MaxPoolSimd.TwoByTwoRowForward(MemoryMarshal.Cast<T, float>(x.Slice(top, width)),
                            MemoryMarshal.Cast<T, float>(x.Slice(top + width, width)), MemoryMarshal.Cast<T, float>(yr))
                        : 0;
                    for (int ow = done; ow < yr.Length; ow++)
                    {
                        int at = top + (2 * ow);
                        yr[ow] = x[at + TwoByTwoArgMax(x, at, width)];
                    }
                    continue;
                }
                ReadOnlySpan<T> r0 = x.Slice(top, width);
                ReadOnlySpan<T> r1 = x.Slice(top + width, width);
                for (int ow = 0; ow < yr.Length; ow++)
                {
                    yr[ow] = (r0[2 * ow] + r0[(2 * ow) + 1] + r1[2 * ow] + r1[(2 * ow) + 1]) * quarter;
                }
            }
        }
    }

    private static void PoolBackwardTwoByTwo<T>(in PoolPlan p, bool max, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Windows tile the input without overlap, so each covered element is written exactly once;
        // only an odd last row or column is left uncovered and needs clearing.
        if ((p.InH & 1) != 0 || (p.InW & 1) != 0)
        {
            dx.Clear();
        }
        int planes = p.Planes * p.InD, width = p.InW, planeIn = p.InH * p.InW, planeOut = p.OutH * p.OutW;
        T quarter = T.CreateTruncating(0.25);
        for (int plane = 0; plane < planes; plane++)
        {
            for (int oh = 0; oh < p.OutH; oh++)
            {
                int first = (plane * planeIn) + (2 * oh * width);
                Span<T> g0 = dx.Slice(first, width);
                Span<T> g1 = dx.Slice(first + width, width);
                ReadOnlySpan<T> gy = dy.Slice((plane * planeOut) + (oh * p.OutW), p.OutW);
                int done = max && typeof(T) == typeof(float)
                    ? MaxPoolSimd.TwoByTwoRowBackward(MemoryMarshal.Cast<T, float>(x.Slice(first, width)), MemoryMarshal.Cast<T, float>(x.Slice(first + width, width)),
                        MemoryMarshal.Cast<T, float>(gy), MemoryMarshal.Cast<T, float>(g0), MemoryMarshal.Cast<T, float>(g1))
                    : 0;
                for (int ow = done; ow < gy.Length; ow++)
                {
                    int i = 2 * ow;
                    T g = gy[ow];
                    if (!max)
                    {
                        T share = g * quarter;
                        g0[i] = share;
                        g0[i + 1] = share;
                        g1[i] = share;
                        g1[i + 1] = share;
                        continue;
                    }
                    // Clear the window, then route dy to the same element the forward pass took.
                    g0[i] = T.Zero;
                    g0[i + 1] = T.Zero;
                    g1[i] = T.Zero;
                    g1[i + 1] = T.Zero;
                    dx[first + i + TwoByTwoArgMax(x, first + i, width)] = g;
                }
            }
        }
    }

    private static void PoolForwardPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref PoolJob<T> j = ref *(PoolJob<T>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Plan.Planes, 1);
        PoolPlan p = j.Plan with { Planes = end - first };
        PoolForwardTwoByTwo(p, j.Max, new ReadOnlySpan<T>(j.X + (long)first * p.InVolume, p.Planes * p.InVolume),
            new Span<T>(j.Y + (long)first * p.OutVolume, p.Planes * p.OutVolume));
    }

    private static void PoolBackwardPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref PoolJob<T> j = ref *(PoolJob<T>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Plan.Planes, 1);
        PoolPlan p = j.Plan with { Planes = end - first };
        PoolBackwardTwoByTwo(p, j.Max, new ReadOnlySpan<T>(j.X + (long)first * p.InVolume, p.Planes * p.InVolume),
            new ReadOnlySpan<T>(j.Dy + (long)first * p.OutVolume, p.Planes * p.OutVolume),
            new Span<T>(j.Dx + (long)first * p.InVolume, p.Planes * p.InVolume));
    }
}
