using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// 3×3 stride-1 pad-1 average pooling (Inception's pool) forward and backward on flat planes: a
/// plane is one run of H·W floats, the window's nine taps are loads at −W−1 … +W+1, and the
/// padding is zero margins above and below the plane plus two lane masks by position (column 0,
/// column W − 1). No line copies, tails or window-row lookups per row.
/// <list type="bullet">
/// <item>Forward adds the nine taps in the plain path's scan order, one chain from +0 (a separable
/// row-then-column sum associates differently and gives other bits in about half of all windows), a
/// padding tap adding +0, which leaves a sum that starts at +0 unchanged (it is never −0), then
/// divides as the plain path does (by 9, or by the window's real elements).</item>
/// <item>Backward is the same nine-tap sum over what each output sends (dy / divisor): the outputs
/// whose window holds (h, w) are (h − 1, w − 1) … (h + 1, w + 1), and in output scan order they are
/// the taps' order, so dx is the plain path's additions in its order; an output past the plane sends +0.</item>
/// </list>
/// Bit for bit the plain path's (<c>PoolFlatTests</c>). <c>ENGINE_POOL_FLAT_AVG=off</c> keeps the line kernel.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_FLAT_AVG=off</c>.</summary>
    public static bool FlatAverage { get; set; } = SwitchOn("ENGINE_POOL_FLAT_AVG");

    /// <summary>Whether average pooling of this plan (one the line kernel takes) runs on flat planes: 3×3 s1 p1, output the input's size.</summary>
    internal static bool TakesFlatAverage(in PoolPlan p) => FlatAverage && IsThreeByThreeSame(p);

    /// <summary>Whether average pooling of this plan runs on flat planes or phases (3×3 s1 p1, or 3×3 s2 p1 on an even plane).</summary>
    internal static bool TakesAnyFlatAverage(in PoolPlan p) => TakesFlatAverage(p) || TakesFlatAverageStride2(p);

    /// <summary>3×3, stride 1, padding 1 on both axes, output the input's size (no ceil-mode extra).</summary>
    internal static bool IsThreeByThreeSame(in PoolPlan p) =>
        p.KH == 3 && p.KW == 3 && p.SH == 1 && p.SW == 1 && p.PH == 1 && p.PW == 1 && p.OutH == p.InH && p.OutW == p.InW;

    /// <summary>Planes [first, end) of flat 3×3 s1 p1 (or, by phase, s2 p1) average pooling forward, at the widest width the CPU allows.</summary>
    private static void FlatAverageForward(in PoolPlan p, bool includePad, float* x, float* y, int first, int end)
    {
        if (IsStride2Even(p) && RowAverageStride2)
        {
            switch (Width(p))
            {
                case 512: RowAverageStride2Forward<Pool512, Vector512<float>, Vector512<int>>(p, includePad, x, y, first, end); return;
                case 256: RowAverageStride2Forward<Pool256, Vector256<float>, Vector256<int>>(p, includePad, x, y, first, end); return;
                default: RowAverageStride2Forward<Pool128, Vector128<float>, Vector128<int>>(p, includePad, x, y, first, end); return;
            }
        }
        if (IsStride2Even(p))
        {
            switch (Width(p))
            {
                case 512: FlatAverageStride2Forward<Pool512, Vector512<float>, Vector512<int>>(p, includePad, x, y, first, end); return;
                case 256: FlatAverageStride2Forward<Pool256, Vector256<float>, Vector256<int>>(p, includePad, x, y, first, end); return;
                default: FlatAverageStride2Forward<Pool128, Vector128<float>, Vector128<int>>(p, includePad, x, y, first, end); return;
            }
        }
        switch (Width(p))
        {
            case 512: FlatAverageForward<Pool512, Vector512<float>, Vector512<int>>(p, includePad, x, y, first, end); break;
            case 256: FlatAverageForward<Pool256, Vector256<float>, Vector256<int>>(p, includePad, x, y, first, end); break;
            default: FlatAverageForward<Pool128, Vector128<float>, Vector128<int>>(p, includePad, x, y, first, end); break;
        }
    }

    /// <summary>Planes [first, end) of flat 3×3 s1 p1 (or, by phase, s2 p1) average pooling backward (dx of those planes overwritten).</summary>
    private static void FlatAverageBackward(in PoolPlan p, bool includePad, float* dy, float* dx, int first, int end)
    {
        if (IsStride2Even(p))
        {
            switch (Width(p))
            {
                case 512: FlatAverageStride2Backward<Pool512, Vector512<float>, Vector512<int>>(p, includePad, dy, dx, first, end); return;
                case 256: FlatAverageStride2Backward<Pool256, Vector256<float>, Vector256<int>>(p, includePad, dy, dx, first, end); return;
                default: FlatAverageStride2Backward<Pool128, Vector128<float>, Vector128<int>>(p, includePad, dy, dx, first, end); return;
            }
        }
        switch (Width(p))
        {
            case 512: FlatAverageBackward<Pool512, Vector512<float>, Vector512<int>>(p, includePad, dy, dx, first, end); break;
            case 256: FlatAverageBackward<Pool256, Vector256<float>, Vector256<int>>(p, includePad, dy, dx, first, end); break;
            default: FlatAverageBackward<Pool128, Vector128<float>, Vector128<int>>(p, includePad, dy, dx, first, end); break;
        }
    }

    /// <summary>Forward at one width (tests run every width against the plain path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FlatAverageForward<TOps, TF, TI>(in PoolPlan p, bool includePad, float* x, float* y, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        var f = new FlatAverageFrame<TOps, TF, TI>(p, includePad);
        if (TakesRowAverageStride1(p.InW, TOps.Lanes))
        {
            RowAverageStride1Planes(f, p, x, y, first, end, backward: false);
            return;
        }
        if (SlideAverage)
        {
            SlideAverageForward(f, p, includePad, x, y, first, end);
            return;
        }
        int lanes = TOps.Lanes, area = p.InH * p.InW;
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            new ReadOnlySpan<float>(x + (n * area), area).CopyTo(new Span<float>(f.Plane, area));
            float* yp = y + (n * area);
            for (int i = 0; i < f.Span; i += lanes)
            {
                TF mean = TOps.Divide(f.NineTaps(i), TOps.Load(f.Divisors + i));
                // A whole vector may run into the next planes' outputs, which this part writes next.
                long remaining = ((planeEnd - n) * area) - i;
                StoreRow<TOps, TF, TI>(mean, yp + i, remaining >= lanes ? lanes : area - i, f.Tail);
            }
        }
    }

    /// <summary>Backward at one width (dx of planes [first, end) overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FlatAverageBackward<TOps, TF, TI>(in PoolPlan p, bool includePad, float* dy, float* dx, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        var f = new FlatAverageFrame<TOps, TF, TI>(p, includePad);
        if (TakesRowAverageStride1(p.InW, TOps.Lanes))
        {
            RowAverageStride1Planes(f, p, dy, dx, first, end, backward: true);
            return;
        }
        int lanes = TOps.Lanes, area = p.InH * p.InW;
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            // What each output sends: dy / divisor, as the plain path's share; past the plane +0.
            float* dyp = dy + (n * area), dxp = dx + (n * area);
            int i = 0;
            for (; i + lanes <= area; i += lanes)
            {
                TOps.Store(TOps.Divide(TOps.Load(dyp + i), TOps.Load(f.Divisors + i)), f.Plane + i);
            }
            if (i < area)
            {
                TF g = LoadRow<TOps, TF, TI>(dyp + i, area - i, f.Tail);
                TOps.Store(TOps.Divide(g, TOps.Load(f.Divisors + i)), f.Plane + i);
            }
            if (SlideAverage)
            {
                SlideSums(f, dxp, p.InW, area, WholeVectors((planeEnd - n) * area, f.Span, lanes));
                continue;
            }
            for (i = 0; i < f.Span; i += lanes)
            {
                long remaining = ((planeEnd - n) * area) - i;
                StoreRow<TOps, TF, TI>(f.NineTaps(i), dxp + i, remaining >= lanes ? lanes : area - i, f.Tail);
            }
        }
    }
}

/// <summary>
/// The per-thread buffers of the flat 3×3 s1 p1 average: the plane with zero margins (the rows above
/// row 0 and below the last read +0), the two column masks, the divisor of each position and a tail.
/// </summary>
internal readonly unsafe struct FlatAverageFrame<TOps, TF, TI>
    where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
{
    [ThreadStatic] private static float[]? t_buffer;

    /// <summary>Positions rounded up to whole vectors.</summary>
    public readonly int Span;

    /// <summary>The plane's first float (margins of zeros before and after).</summary>
    public readonly float* Plane;

    /// <summary>Each position's divisor (9, or the real elements of its window); 1 past the plane.</summary>
    public readonly float* Divisors;

    /// <summary>All bits set where a column's left (right) neighbour is real: not column 0 (W − 1).</summary>
    public readonly float* NotLeft, NotRight;

    /// <summary>All bits set where a position's row above (below) is real: not row 0 (H − 1); past the plane set.</summary>
    public readonly float* NotTop, NotBottom;

    /// <summary>A vector of scratch for partial loads and stores.</summary>
    public readonly float* Tail;

    /// <summary>Six vectors of scratch: the row-by-row kernel's divisors of three row kinds, two vectors each.</summary>
    public readonly float* RowDivisors;

    private readonly int _width;

    public FlatAverageFrame(in PoolPlan p, bool includePad)
    {
        int lanes = TOps.Lanes, w = p.InW, area = p.InH * w;
        Span = (area + lanes - 1) / lanes * lanes;
        int margin = w + (2 * lanes), planeFloats = Span + (2 * margin);
        int length = planeFloats + (5 * Span) + (7 * lanes);
        if (t_buffer is null || t_buffer.Length < length)
        {
            t_buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
        }
        float* buffer = (float*)Unsafe.AsPointer(ref t_buffer[0]);
        // Zeros around the plane and past it up to the span: the passes write only [0, area).
        new Span<float>(buffer, planeFloats).Clear();
        Plane = buffer + margin;
        Divisors = buffer + planeFloats;
        NotLeft = Divisors + Span;
        NotRight = NotLeft + Span;
        NotTop = NotRight + Span;
        NotBottom = NotTop + Span;
        Tail = NotBottom + Span;
        RowDivisors = Tail + lanes;
        _width = w;
        float set = BitConverter.Int32BitsToSingle(-1);
        for (int i = 0; i < Span; i++)
        {
            int row = i / w, column = i % w;
            NotLeft[i] = column == 0 ? 0f : set;
            NotRight[i] = column == w - 1 ? 0f : set;
            NotTop[i] = row == 0 ? 0f : set;
            NotBottom[i] = row == p.InH - 1 ? 0f : set;
            int rows = i >= area ? 1 : Math.Min(row + 1, p.InH - 1) - Math.Max(row - 1, 0) + 1;
            int columns = Math.Min(column + 1, w - 1) - Math.Max(column - 1, 0) + 1;
            Divisors[i] = includePad ? 9f : i >= area ? 1f : rows * columns;
        }
    }

    /// <summary>
    /// The nine taps around positions i …, added in scan order from +0: row above (left, centre,
    /// right), own row, row below; a left (right) tap in column 0 (W − 1) adds +0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TF NineTaps(int i)
    {
        TF notLeft = TOps.Load(NotLeft + i), notRight = TOps.Load(NotRight + i), zero = TOps.Zero;
        TF sum = zero;
        for (int r = -_width; r <= _width; r += _width)
        {
            float* at = Plane + i + r;
            sum = TOps.Add(sum, TOps.Select(notLeft, TOps.Load(at - 1), zero));
            sum = TOps.Add(sum, TOps.Load(at));
            sum = TOps.Add(sum, TOps.Select(notRight, TOps.Load(at + 1), zero));
        }
        return sum;
    }
}
