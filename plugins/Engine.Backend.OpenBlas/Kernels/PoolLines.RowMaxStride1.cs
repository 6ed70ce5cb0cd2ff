using System.Runtime.CompilerServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The NaN-free 3×3 s1 p1 arg-max forward of a plane whose rows take two vectors (Inception's 28×28 at
/// 512 bits: W in (lanes, 2·lanes]) row by row in registers: each input row is loaded once (two
/// vectors), its left and right neighbours moved in by a lane (<see cref="IPoolLanes{TF, TI}.ShiftIn"/>,
/// <see cref="IPoolLanes{TF, TI}.ShiftOut"/>), its column maxima and taps kept in registers for the
/// three output rows that need them (rows above, at, below). The flat NaN-free stages load ±1 and ±W
/// unaligned (nearly every load splitting a line at W = 28), store the column maxima and their taps
/// (64 bytes a vector) and load them again at −W, 0, +W: eleven loads and four stores per output
/// vector, measured at about 26 cycles. The comparisons are theirs in their order (column 0 from the
/// centre, column W − 1 without its right; the row above row 0 −∞ with the all −∞ window's tap
/// 3 + first real column, below the last row −∞: <see cref="NanFreeRows{TOps, TF, TI}"/>), so the
/// values and taps are the plain path's bit for bit (<c>PoolRowMaxStride1Tests</c>); a plane that holds a
/// NaN is done again by the NaN-aware stages. A row's second vector is stored whole (its lanes past
/// the row land on the next row's outputs, written next), the part's last row through the tail.
/// <c>ENGINE_POOL_ROW_MAX_S1=off</c> keeps the flat stages.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_ROW_MAX_S1=off</c>.</summary>
    public static bool RowMaxStride1 { get; set; } = SwitchOn("ENGINE_POOL_ROW_MAX_S1");

    /// <summary>Whether a 3×3 s1 p1 plane of this width goes row by row at this vector width: rows of more than one and at most two vectors.</summary>
    internal static bool TakesRowMaxStride1(int width, int lanes) => RowMaxStride1 && NanFree && width > lanes && width <= 2 * lanes;

    [ThreadStatic] private static float[]? t_rowMaxCopy;

    /// <summary>
    /// Planes [first, end) of 3×3 s1 p1 max pooling forward, values only (inference), row by row at one
    /// width; a plane that holds a NaN is done again by the line kernel (its whole plane of the plan).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowMaxStride1Values<TOps, TF, TI>(in PoolPlan p, float* x, float* y, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.InW, area = p.InH * w;
        long total = (long)p.Planes * p.InD * area;
        // A copy for a plane whose last row's second vector would read past the tensor, and a tail.
        float* copy = Scratch(ref t_rowMaxCopy, area + (3 * lanes));
        float* tail = copy + area + (2 * lanes);
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            float* source = x + (n * area);
            if ((n * area) + area - w + (2 * lanes) > total)
            {
                new ReadOnlySpan<float>(source, area).CopyTo(new Span<float>(copy, area));
                source = copy;
            }
            if (!RowMaxStride1Plane<TOps, TF, TI>(source, y + (n * area), null, p.InH, w, (planeEnd - n) * area, tail, null))
            {
                int plane = (int)(n / p.InD);
                LineForward<TOps, TF, TI>(p, true, false, x, y, plane, plane + 1);
            }
        }
    }

    /// <summary>
    /// One plane at <paramref name="s"/> (read up to its last row + two vectors): y and the taps, the
    /// first <paramref name="remaining"/> outputs from the plane's first being the part's (no taps when
    /// <paramref name="ap"/> is null). False, having written garbage, when the plane holds a NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool RowMaxStride1Plane<TOps, TF, TI>(float* s, float* yp, byte* ap, int h, int w, long remaining, float* tail, int* tapTail)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF negativeInfinity = TOps.Splat(float.NegativeInfinity);
        TF isLeft = TOps.IndexEqual(TOps.Ramp(0, 1), TOps.SplatIndex(0));
        TF isRight = TOps.IndexEqual(TOps.Ramp(lanes, 1), TOps.SplatIndex(w - 1));
        TI firstTap = TOps.SelectIndex(isLeft, TOps.SplatIndex(1), TOps.SplatIndex(0));
        TF seen = TOps.Zero;
        // The row above row 0: −∞, tap 3 + the first real column (4 in column 0, else 3).
        TF aboveA = negativeInfinity, aboveB = negativeInfinity;
        TI aboveTapA = TOps.SelectIndex(isLeft, TOps.SplatIndex(4), TOps.SplatIndex(3)), aboveTapB = TOps.SplatIndex(3);
        RowColumns<TOps, TF, TI>(s, isLeft, isRight, firstTap, ref seen, out TF atA, out TI atTapA, out TF atB, out TI atTapB);
        for (int r = 0; r < h; r++)
        {
            TF belowA = negativeInfinity, belowB = negativeInfinity;
            TI belowTapA = TOps.SplatIndex(0), belowTapB = belowTapA;
            if (r + 1 < h)
            {
                RowColumns<TOps, TF, TI>(s + ((r + 1) * w), isLeft, isRight, firstTap, ref seen, out belowA, out belowTapA, out belowB, out belowTapB);
            }
            TF bestA = NanFreeRows<TOps, TF, TI>(aboveA, aboveTapA, atA, atTapA, belowA, belowTapA, out TI tapA);
            TF bestB = NanFreeRows<TOps, TF, TI>(aboveB, aboveTapB, atB, atTapB, belowB, belowTapB, out TI tapB);
            float* yr = yp + (r * w);
            byte* ar = ap + (r * w);
            long left = remaining - ((long)r * w);
            if (ap == null)
            {
                TOps.Store(bestA, yr);
                StoreRow<TOps, TF, TI>(bestB, yr + lanes, left >= 2 * lanes ? lanes : (int)(left - lanes), tail);
            }
            else if (left >= 2 * lanes)
            {
                TOps.Store(bestA, yr);
                TOps.StoreBytes(tapA, ar);
                TOps.Store(bestB, yr + lanes);
                TOps.StoreBytes(tapB, ar + lanes);
            }
            else
            {
                // The part's last row (a row is more than a vector, so the first is whole).
                StoreWindow<TOps, TF, TI>(bestA, tapA, yr, ar, lanes, tail, tapTail);
                StoreWindow<TOps, TF, TI>(bestB, tapB, yr + lanes, ar + lanes, (int)(left - lanes), tail, tapTail);
            }
            (aboveA, aboveTapA, aboveB, aboveTapB) = (atA, atTapA, atB, atTapB);
            (atA, atTapA, atB, atTapB) = (belowA, belowTapA, belowB, belowTapB);
        }
        return TOps.AllNumbers(seen);
    }

    /// <summary>
    /// The column stage of <see cref="NanFreeColumnStage{TOps, TF, TI}"/> for one row's two vectors:
    /// each position's first maximum over left, centre, right (column 0 from the centre, column W − 1
    /// without its right) and its tap 0–2; <paramref name="seen"/> takes any NaN of the loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowColumns<TOps, TF, TI>(float* row, TF isLeft, TF isRight, TI firstTap, ref TF seen, out TF bestA, out TI tapA, out TF bestB, out TI tapB)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF a = TOps.Load(row), b = TOps.Load(row + lanes);
        seen = TOps.Select(TOps.Equal(a, a), seen, a);
        seen = TOps.Select(TOps.Equal(b, b), seen, b);
        TI one = TOps.SplatIndex(1), two = TOps.SplatIndex(2);
        // First vector: column 0 in lane 0, no right edge (W − 1 lies in the second).
        bestA = TOps.Select(isLeft, a, TOps.ShiftIn(TOps.Zero, a));
        tapA = TOps.SelectIndex(TOps.Greater(a, bestA), one, firstTap);
        bestA = TOps.Max(a, bestA);
        TF right = TOps.ShiftOut(a, b);
        tapA = TOps.SelectIndex(TOps.Greater(right, bestA), two, tapA);
        bestA = TOps.Max(right, bestA);
        // Second vector: no column 0, column W − 1 in lane W − 1 − lanes.
        bestB = TOps.ShiftIn(a, b);
        tapB = TOps.SelectIndex(TOps.Greater(b, bestB), one, TOps.SplatIndex(0));
        bestB = TOps.Max(b, bestB);
        right = TOps.Select(isRight, TOps.Splat(float.NegativeInfinity), TOps.ShiftOut(b, TOps.Zero));
        tapB = TOps.SelectIndex(TOps.Greater(right, bestB), two, tapB);
        bestB = TOps.Max(right, bestB);
    }
}
