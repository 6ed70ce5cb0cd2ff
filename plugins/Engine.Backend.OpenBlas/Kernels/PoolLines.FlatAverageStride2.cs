using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// 3×3 stride-2 pad-1 average pooling on even planes by phase, forward and backward, as the max
/// pooling of <see cref="FlatStride2ForwardKeepingArgMax{TOps, TF, TI}"/> splits them: output o's
/// taps are, in scan order, odd row a − 1 (odd column b − 1, even b, odd b: loads at o − OutW − 1,
/// o − OutW, o − OutW), even row a (o − 1, o, o), odd row a (o − 1, o, o) of the four phases, added
/// in one chain from +0 (zero margins above the plane and a column-0 mask make the padding +0), then
/// divided as the plain path divides. Backward, input (2a + r, 2b + c) hears from outputs (a, b),
/// (a, b + 1) (odd columns), (a + 1, b) (odd rows), (a + 1, b + 1), in that (scan) order, each
/// sending dy / divisor; past the right edge a mask, past the bottom zeros. Same bits as the plain
/// path (<c>PoolFlatTests</c>). Under <c>ENGINE_POOL_FLAT_AVG</c>.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>Whether average pooling of this plan runs on flat phases: 3×3 s2 p1 on an even plane.</summary>
    internal static bool TakesFlatAverageStride2(in PoolPlan p) => FlatAverage && IsStride2Even(p);

    /// <summary>Planes [first, end) of 3×3 s2 p1 average pooling forward by phase, at one width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FlatAverageStride2Forward<TOps, TF, TI>(in PoolPlan p, bool includePad, float* x, float* y, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.OutW, outputs = p.OutH * p.OutW;
        var f = new PhaseFrame<TOps, TF, TI>(p, includePad, 4);
        float* p00 = f.Phase(0), p01 = f.Phase(1), p10 = f.Phase(2), p11 = f.Phase(3);
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            float* xp = x + (n * p.InH * p.InW);
            for (int r = 0; r < p.InH; r++)
            {
                float* even = ((r & 1) == 0 ? p00 : p10) + ((long)(r >> 1) * w);
                SplitColumns<TOps, TF, TI>(xp + ((long)r * p.InW), p.InW, even, even + f.Stride);
            }
            float* yp = y + (n * outputs);
            for (int i = 0; i < f.Span; i += lanes)
            {
                TF notLeft = TOps.Load(f.NotLeft + i);
                TF sum = PhaseRow<TOps, TF, TI>(p11 + i - w, p10 + i - w, notLeft, TOps.Zero);
                sum = PhaseRow<TOps, TF, TI>(p01 + i, p00 + i, notLeft, sum);
                sum = PhaseRow<TOps, TF, TI>(p11 + i, p10 + i, notLeft, sum);
                long remaining = ((planeEnd - n) * outputs) - i;
                StoreRow<TOps, TF, TI>(TOps.Divide(sum, TOps.Load(f.Divisors + i)), yp + i, remaining >= lanes ? lanes : outputs - i, f.Tail);
            }
        }
    }

    /// <summary>Planes [first, end) of 3×3 s2 p1 average pooling backward by phase, at one width (dx overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FlatAverageStride2Backward<TOps, TF, TI>(in PoolPlan p, bool includePad, float* dy, float* dx, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.OutW, outputs = p.OutH * p.OutW;
        var f = new PhaseFrame<TOps, TF, TI>(p, includePad, 1);
        float* sends = f.Phase(0);
        bool stream = StreamsDx(p, dx);
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            float* dyp = dy + (n * outputs), dxp = dx + (n * p.InH * p.InW);
            int i = 0;
            for (; i + lanes <= outputs; i += lanes)
            {
                TOps.Store(TOps.Divide(TOps.Load(dyp + i), TOps.Load(f.Divisors + i)), sends + i);
            }
            if (i < outputs)
            {
                TOps.Store(TOps.Divide(LoadRow<TOps, TF, TI>(dyp + i, outputs - i, f.Tail), TOps.Load(f.Divisors + i)), sends + i);
            }
            for (int a = 0; a < p.OutH; a++)
            {
                float* upper = dxp + ((long)2 * a * p.InW), lower = upper + p.InW;
                for (int v = 0; v < w; v += lanes)
                {
                    int b = v + lanes > w && w >= lanes ? w - lanes : v;
                    int o = (a * w) + b;
                    TF notRight = TOps.Load(f.NotRight + o), zero = TOps.Zero;
                    TF here = TOps.Add(zero, TOps.Load(sends + o)), below = TOps.Load(sends + o + w);
                    TF evenOdd = TOps.Add(here, TOps.Select(notRight, TOps.Load(sends + o + 1), zero));
                    TF oddOdd = TOps.Add(TOps.Add(evenOdd, below), TOps.Select(notRight, TOps.Load(sends + o + w + 1), zero));
                    int count = 2 * (w - b);
                    StoreInterleaved<TOps, TF, TI>(here, evenOdd, upper + (2 * b), count, f.Tail, stream);
                    StoreInterleaved<TOps, TF, TI>(TOps.Add(here, below), oddOdd, lower + (2 * b), count, f.Tail, stream);
                }
            }
        }
        if (stream)
        {
            StoreFence();
        }
    }

    /// <summary><paramref name="sum"/> + odd column b − 1 (+0 in column 0) + even b + odd b of one input row's phases.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF PhaseRow<TOps, TF, TI>(float* odd, float* even, TF notLeft, TF sum)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        sum = TOps.Add(sum, TOps.Select(notLeft, TOps.Load(odd - 1), TOps.Zero));
        sum = TOps.Add(sum, TOps.Load(even));
        return TOps.Add(sum, TOps.Load(odd));
    }
}

/// <summary>
/// The per-thread buffers of the phase-split 3×3 s2 p1 average: phases (or what outputs send) of
/// OutH·OutW floats with zero margins of an output row and more around each, column masks and each
/// output's divisor (9, or its window's real elements: 2 or 3 rows times 2 or 3 columns).
/// </summary>
internal readonly unsafe struct PhaseFrame<TOps, TF, TI>
    where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
{
    [ThreadStatic] private static float[]? t_buffer;

    /// <summary>Outputs rounded up to whole vectors.</summary>
    public readonly int Span;

    /// <summary>Floats from one phase to the next.</summary>
    public readonly int Stride;

    /// <summary>Each output's divisor; 1 past the outputs.</summary>
    public readonly float* Divisors;

    /// <summary>All bits set where the output is not in column 0 (not in the last column).</summary>
    public readonly float* NotLeft, NotRight;

    /// <summary>Two vectors of scratch for partial loads and stores.</summary>
    public readonly float* Tail;

    private readonly float* _first;

    public PhaseFrame(in PoolPlan p, bool includePad, int phases)
    {
        int lanes = TOps.Lanes, w = p.OutW, outputs = p.OutH * w;
        Span = (outputs + lanes - 1) / lanes * lanes;
        int margin = w + (2 * lanes);
        Stride = Span + margin;
        int length = margin + (phases * Stride) + (3 * Span) + (2 * lanes);
        if (t_buffer is null || t_buffer.Length < length)
        {
            t_buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
        }
        float* buffer = (float*)Unsafe.AsPointer(ref t_buffer[0]);
        // Zero margins, and zeros past the outputs: the passes write only each phase's [0, outputs).
        new Span<float>(buffer, margin + (phases * Stride)).Clear();
        _first = buffer + margin;
        Divisors = _first + (phases * Stride);
        NotLeft = Divisors + Span;
        NotRight = NotLeft + Span;
        Tail = NotRight + Span;
        float set = BitConverter.Int32BitsToSingle(-1);
        for (int i = 0; i < Span; i++)
        {
            int a = i / w, b = i % w;
            NotLeft[i] = b == 0 ? 0f : set;
            NotRight[i] = b == w - 1 ? 0f : set;
            Divisors[i] = includePad ? 9f : i >= outputs ? 1f : (a == 0 ? 2 : 3) * (b == 0 ? 2 : 3);
        }
    }

    /// <summary>Phase <paramref name="k"/>'s first float.</summary>
    public float* Phase(int k) => _first + ((long)k * Stride);
}
