using System.Runtime.CompilerServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// 3×3 stride-2 pad-1 max pooling forward keeping its arg-max (ResNet's stem pool) on even planes,
/// straight from the input rows, as <see cref="RowAverageStride2Forward{TOps, TF, TI}"/> averages:
/// two vectors of an input row split into even (centre) and odd (right) columns in registers, the
/// left neighbours the odd ones moved up a lane (−∞, the padding, into column 0). Each output row
/// takes its even input row and the odd row below; the odd row above is the previous output row's
/// below, kept (values and taps) in a row buffer, so each input row is read from memory once and no
/// phase copy of the plane is written (<see cref="FlatStride2ForwardKeepingArgMax{TOps, TF, TI}"/>
/// splits it into four phases first). The comparisons are the NaN-aware ones of that kernel, in its
/// order — each row's first maximum over left, centre, right (column 0: a window whose real elements
/// are all −∞ takes its first real tap), then over the rows above, at and below, row 0's windows from
/// their first real row — so the same values and taps bit for bit (<c>PoolRowMaxTests</c>).
/// <c>ENGINE_POOL_ROW_MAX_S2=off</c> keeps the phase kernel.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_ROW_MAX_S2=off</c>.</summary>
    public static bool RowMaxStride2 { get; set; } = SwitchOn("ENGINE_POOL_ROW_MAX_S2");

    [ThreadStatic] private static float[]? t_rowMax;
    [ThreadStatic] private static int[]? t_rowMaxTaps;

    /// <summary>Whether the arg-max forward of this plan runs from the input rows: 3×3 s2 p1 on an even plane, output half its size.</summary>
    internal static bool TakesRowMaxStride2(in PoolPlan p) => RowMaxStride2 && IsStride2Even(p);

    /// <summary>Planes [first, end) of 3×3 s2 p1 max pooling forward keeping the taps, from the rows, at one width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowMaxStride2ForwardKeepingArgMax<TOps, TF, TI>(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.OutW, inW = p.InW, outputs = p.OutH * w;
        int row = Math.Max(w, lanes);
        // Two rows of the odd input rows' maxima (this output row writes one while reading the
        // other: its last vector may overlap the one before), column 0's lane mask, a narrow row's
        // copy (two vectors) and a vector for a partial store; the same for the taps.
        float* buffer = Scratch(ref t_rowMax, (2 * row) + (4 * lanes));
        int* taps = ScratchInts(ref t_rowMaxTaps, (2 * row) + lanes);
        float* columnZero = buffer + (2 * row), copy = columnZero + lanes, tail = copy + (2 * lanes);
        int* tapTail = taps + (2 * row);
        new Span<float>(columnZero, lanes).Clear();
        columnZero[0] = BitConverter.Int32BitsToSingle(-1);
        TF negativeInfinity = TOps.Splat(float.NegativeInfinity);
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            float* xp = x + (n * p.InH * inW), yp = y + (n * outputs);
            byte* ap = argMax + (n * outputs);
            for (int a = 0; a < p.OutH; a++)
            {
                float* middle = xp + ((long)2 * a * inW), lower = middle + inW;
                float* above = buffer + ((a & 1) * row), below = buffer + ((~a & 1) * row);
                int* aboveTap = taps + ((a & 1) * row), belowTap = taps + ((~a & 1) * row);
                float* yr = yp + ((long)a * w);
                byte* ar = ap + ((long)a * w);
                if (w < lanes)
                {
                    // A row narrower than a vector: each input row through a copy of two vectors.
                    TF odd = negativeInfinity;
                    Copy(middle, copy, inW);
                    TF m = RowFirstOfThree<TOps, TF, TI>(copy, ref odd, TOps.Load(columnZero), out TI mTap);
                    odd = negativeInfinity;
                    Copy(lower, copy, inW);
                    TF l = RowFirstOfThree<TOps, TF, TI>(copy, ref odd, TOps.Load(columnZero), out TI lTap);
                    TF best = WindowOfRows<TOps, TF, TI>(a == 0, above, aboveTap, m, mTap, l, lTap, below, belowTap, out TI tap);
                    StoreWindow<TOps, TF, TI>(best, tap, yr, ar, w, tail, tapTail);
                    continue;
                }
                // A row with a NaN in it (or in the kept row above) is done again by the NaN-aware stages.
                if (!(NanFree && RowMaxNanFree<TOps, TF, TI>(middle, lower, w, a == 0, above, aboveTap, below, belowTap, yr, ar, columnZero)))
                {
                    RowMaxNanAware<TOps, TF, TI>(middle, lower, w, a == 0, above, aboveTap, below, belowTap, yr, ar, columnZero);
                }
            }
        }
    }

    /// <summary>One output row of <see cref="RowMaxStride2ForwardKeepingArgMax{TOps, TF, TI}"/> (at least a vector wide) by the NaN-aware comparisons.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowMaxNanAware<TOps, TF, TI>(float* middle, float* lower, int w, bool top, float* above, int* aboveTap, float* below, int* belowTap,
        float* yr, byte* ar, float* columnZero)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF middleOdd = TOps.Splat(float.NegativeInfinity), lowerOdd = middleOdd;
        int v = 0;
        for (; v + lanes <= w; v += lanes)
        {
            TF isLeft = v == 0 ? TOps.Load(columnZero) : TOps.Zero;
            TF m = RowFirstOfThree<TOps, TF, TI>(middle + (2 * v), ref middleOdd, isLeft, out TI mTap);
            TF l = RowFirstOfThree<TOps, TF, TI>(lower + (2 * v), ref lowerOdd, isLeft, out TI lTap);
            TF best = WindowOfRows<TOps, TF, TI>(top, above + v, aboveTap + v, m, mTap, l, lTap, below + v, belowTap + v, out TI tap);
            TOps.Store(best, yr + v);
            TOps.StoreBytes(tap, ar + v);
        }
        if (v < w)
        {
            // The last vector overlaps the one before (the same values again); its left
            // neighbours are the odd columns one column pair earlier.
            v = w - lanes;
            TOps.LoadDeinterleaved(middle + (2 * v) - 2, out _, out TF mLeft);
            TF m = RowFirstOfThreeAfter<TOps, TF, TI>(middle + (2 * v), mLeft, out TI mTap);
            TOps.LoadDeinterleaved(lower + (2 * v) - 2, out _, out TF lLeft);
            TF l = RowFirstOfThreeAfter<TOps, TF, TI>(lower + (2 * v), lLeft, out TI lTap);
            TF best = WindowOfRows<TOps, TF, TI>(top, above + v, aboveTap + v, m, mTap, l, lTap, below + v, belowTap + v, out TI tap);
            TOps.Store(best, yr + v);
            TOps.StoreBytes(tap, ar + v);
        }
    }

    /// <summary>
    /// One output row (at least a vector wide) by the NaN-free comparisons of <see cref="NanFreeFirstOfThree{TOps, TF, TI}"/>
    /// and <see cref="NanFreeRows{TOps, TF, TI}"/> (a greater-than and an x86 max instead of the NaN test);
    /// false, with garbage written, when the input rows or the kept row above hold a NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool RowMaxNanFree<TOps, TF, TI>(float* middle, float* lower, int w, bool top, float* above, int* aboveTap, float* below, int* belowTap,
        float* yr, byte* ar, float* columnZero)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF seen = TOps.Zero;
        TF middleOdd = TOps.Splat(float.NegativeInfinity), lowerOdd = middleOdd;
        int v = 0;
        for (; v + lanes <= w; v += lanes)
        {
            TF isLeft = v == 0 ? TOps.Load(columnZero) : TOps.Zero;
            TOps.LoadDeinterleaved(middle + (2 * v), out TF centre, out TF right);
            TF m = NanFreeThree<TOps, TF, TI>(TOps.ShiftIn(middleOdd, right), centre, right, isLeft, ref seen, out TI mTap);
            middleOdd = right;
            TOps.LoadDeinterleaved(lower + (2 * v), out centre, out right);
            TF l = NanFreeThree<TOps, TF, TI>(TOps.ShiftIn(lowerOdd, right), centre, right, isLeft, ref seen, out TI lTap);
            lowerOdd = right;
            TF best = NanFreeWindow<TOps, TF, TI>(top, above + v, aboveTap + v, m, mTap, l, lTap, below + v, belowTap + v, ref seen, out TI tap);
            TOps.Store(best, yr + v);
            TOps.StoreBytes(tap, ar + v);
        }
        if (v < w)
        {
            v = w - lanes;
            TOps.LoadDeinterleaved(middle + (2 * v) - 2, out _, out TF left);
            TOps.LoadDeinterleaved(middle + (2 * v), out TF centre, out TF right);
            TF m = NanFreeThree<TOps, TF, TI>(left, centre, right, TOps.Zero, ref seen, out TI mTap);
            TOps.LoadDeinterleaved(lower + (2 * v) - 2, out _, out left);
            TOps.LoadDeinterleaved(lower + (2 * v), out centre, out right);
            TF l = NanFreeThree<TOps, TF, TI>(left, centre, right, TOps.Zero, ref seen, out TI lTap);
            TF best = NanFreeWindow<TOps, TF, TI>(top, above + v, aboveTap + v, m, mTap, l, lTap, below + v, belowTap + v, ref seen, out TI tap);
            TOps.Store(best, yr + v);
            TOps.StoreBytes(tap, ar + v);
        }
        return TOps.AllNumbers(seen);
    }

    /// <summary>
    /// <see cref="FirstOfThreeValues{TOps, TF, TI}"/> for numbers: column 0 (<paramref name="isLeft"/>)
    /// starts from the centre with tap 1, whose comparison with itself never wins; <paramref name="seen"/>
    /// takes any NaN of centre and right (left is the odd columns already seen).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF NanFreeThree<TOps, TF, TI>(TF left, TF centre, TF right, TF isLeft, ref TF seen, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        seen = TOps.Select(TOps.Equal(centre, centre), seen, centre);
        seen = TOps.Select(TOps.Equal(right, right), seen, right);
        TF best = TOps.Select(isLeft, centre, left);
        TI one = TOps.SplatIndex(1);
        tap = TOps.SelectIndex(TOps.Greater(centre, best), one, TOps.SelectIndex(isLeft, one, TOps.SplatIndex(0)));
        best = TOps.Max(centre, best);
        tap = TOps.SelectIndex(TOps.Greater(right, best), TOps.SplatIndex(2), tap);
        return TOps.Max(right, best);
    }

    /// <summary><see cref="WindowOfRows{TOps, TF, TI}"/> for numbers (<paramref name="seen"/> takes any NaN of the kept row above).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF NanFreeWindow<TOps, TF, TI>(bool top, float* above, int* aboveTap, TF middle, TI middleTap, TF lower, TI lowerTap,
        float* below, int* belowTap, ref TF seen, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TF best;
        if (top)
        {
            best = middle;
            tap = TOps.Shift(middleTap, 3);
        }
        else
        {
            TF upper = TOps.Load(above);
            seen = TOps.Select(TOps.Equal(upper, upper), seen, upper);
            tap = TOps.SelectIndex(TOps.Greater(middle, upper), TOps.Shift(middleTap, 3), TOps.LoadIndex(aboveTap));
            best = TOps.Max(middle, upper);
        }
        TOps.Store(lower, below);
        TOps.StoreIndex(lowerTap, belowTap);
        tap = TOps.SelectIndex(TOps.Greater(lower, best), TOps.Shift(lowerTap, 6), tap);
        return TOps.Max(lower, best);
    }

    /// <summary>
    /// The first maximum of an input row's columns 2b − 1, 2b, 2b + 1 for outputs b … (<paramref name="pairs"/>:
    /// column 2b) and its tap; the left neighbours from <paramref name="odd"/>, the odd columns of the
    /// vector before (−∞ before column 0), which then holds this one's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF RowFirstOfThree<TOps, TF, TI>(float* pairs, ref TF odd, TF isLeft, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TOps.LoadDeinterleaved(pairs, out TF centre, out TF right);
        TF left = TOps.ShiftIn(odd, right);
        odd = right;
        return FirstOfThreeValues<TOps, TF, TI>(left, centre, right, isLeft, out tap);
    }

    /// <summary>
    /// The first maximum of an input row's columns 2b − 1 (<paramref name="left"/>: loaded from one
    /// column pair earlier, so not column 0), 2b, 2b + 1 for outputs b … (<paramref name="pairs"/>: column 2b).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF RowFirstOfThreeAfter<TOps, TF, TI>(float* pairs, TF left, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TOps.LoadDeinterleaved(pairs, out TF centre, out TF right);
        return FirstOfThreeValues<TOps, TF, TI>(left, centre, right, TOps.Zero, out tap);
    }

    /// <summary>
    /// <see cref="FirstOfThree{TOps, TF, TI}"/> on loaded values: the first maximum (a NaN wins) of
    /// left, centre, right and its tap 0, 1 or 2; where <paramref name="isLeft"/> (column 0, whose
    /// <paramref name="left"/> holds −∞ for the padding) and all are −∞, tap 1, the first real one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF FirstOfThreeValues<TOps, TF, TI>(TF left, TF centre, TF right, TF isLeft, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TF best = left;
        TF wins = TOps.Beats(centre, best);
        best = TOps.Select(wins, centre, best);
        tap = TOps.SelectIndex(wins, TOps.SplatIndex(1), TOps.SplatIndex(0));
        wins = TOps.Beats(right, best);
        best = TOps.Select(wins, right, best);
        tap = TOps.SelectIndex(wins, TOps.SplatIndex(2), tap);
        tap = TOps.SelectIndex(TOps.Select(isLeft, TOps.Equal(best, TOps.Splat(float.NegativeInfinity)), TOps.Zero), TOps.SplatIndex(1), tap);
        return best;
    }

    /// <summary>
    /// The window's first maximum over the rows above (the kept odd row; none in output row 0, whose
    /// windows start at the even row), at (<paramref name="middle"/>) and below (<paramref name="lower"/>,
    /// kept for the next output row), and its tap (row · 3 + column).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF WindowOfRows<TOps, TF, TI>(bool top, float* above, int* aboveTap, TF middle, TI middleTap, TF lower, TI lowerTap,
        float* below, int* belowTap, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TF best;
        if (top)
        {
            best = middle;
            tap = TOps.Shift(middleTap, 3);
        }
        else
        {
            best = TOps.Load(above);
            tap = TOps.LoadIndex(aboveTap);
            TF wins = TOps.Beats(middle, best);
            best = TOps.Select(wins, middle, best);
            tap = TOps.SelectIndex(wins, TOps.Shift(middleTap, 3), tap);
        }
        TOps.Store(lower, below);
        TOps.StoreIndex(lowerTap, belowTap);
        TF lowerWins = TOps.Beats(lower, best);
        tap = TOps.SelectIndex(lowerWins, TOps.Shift(lowerTap, 6), tap);
        return TOps.Select(lowerWins, lower, best);
    }
}
