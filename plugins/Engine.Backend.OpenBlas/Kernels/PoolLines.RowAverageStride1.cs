using System.Runtime.CompilerServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The 3×3 s1 p1 average, forward and backward, of planes whose rows take two vectors (Inception's
/// 28×28 at 512 bits: W in (lanes, 2·lanes]) row by row in registers: each input row is loaded once
/// (two vectors; the backward divides them into the shares dy / divisor there), its left, centre and
/// right terms made once by moving a lane in (<see cref="IPoolLanes{TF, TI}.ShiftIn"/>,
/// <see cref="IPoolLanes{TF, TI}.ShiftOut"/>; column 0's left is the +0 moved in, column W − 1's right
/// set to +0 by one mask) and kept for the three output rows that add them. Two shuffles per input
/// vector where the sliding flat kernel (<see cref="SlidePlane{TOps, TF, TI}"/>) makes six per output
/// vector, and no mask loads. The additions are the flat kernels' chain, rows above, at, below, each
/// left, centre, right, from +0 (row 0 leaves the row above out and the last row the row below: the
/// padding's +0 added to a sum that started at +0 changes nothing), then the plain path's division
/// (forward), so the same bits (<c>PoolRowAverageStride1Tests</c>). A row's second vector is stored whole
/// (its lanes past the row land on the next row's outputs, written next), the part's last row
/// through the tail. <c>ENGINE_POOL_ROW_AVG_S1=off</c> keeps the flat kernels.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_ROW_AVG_S1=off</c>.</summary>
    public static bool RowAverageStride1 { get; set; } = SwitchOn("ENGINE_POOL_ROW_AVG_S1");

    /// <summary>Whether a 3×3 s1 p1 average plane of this width goes row by row at this vector width: rows of more than one and at most two vectors.</summary>
    internal static bool TakesRowAverageStride1(int width, int lanes) => RowAverageStride1 && width > lanes && width <= 2 * lanes;

    /// <summary>
    /// Planes [first, end) row by row: forward (x → y, divided) or backward (dy → dx, each row divided
    /// into shares as loaded). Each plane read where it lies but the tensor's last, whose last row's
    /// second vector would read past the tensor.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowAverageStride1Planes<TOps, TF, TI>(in FlatAverageFrame<TOps, TF, TI> f, in PoolPlan p, float* source, float* destination, int first, int end, bool backward)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.InW, h = p.InH, area = h * w;
        long total = (long)p.Planes * p.InD * area;
        // Each row kind's divisors (row 0, a middle row, the last row), two vectors, 1 past the row.
        float* divisors = f.RowDivisors;
        for (int kind = 0; kind < 3; kind++)
        {
            int row = kind == 0 ? 0 : kind == 1 ? Math.Min(1, h - 1) : h - 1;
            for (int j = 0; j < 2 * lanes; j++)
            {
                divisors[(kind * 2 * lanes) + j] = j < w ? f.Divisors[(row * w) + j] : 1f;
            }
        }
        TF notRight = TOps.Select(TOps.IndexEqual(TOps.Ramp(lanes, 1), TOps.SplatIndex(w - 1)), TOps.Zero, TOps.Splat(BitConverter.Int32BitsToSingle(-1)));
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            long at = n * area;
            float* s = source + at;
            if (at + area - w + (2 * lanes) > total)
            {
                new ReadOnlySpan<float>(s, area).CopyTo(new Span<float>(f.Plane, area));
                s = f.Plane;
            }
            RowAverageStride1Plane<TOps, TF, TI>(s, destination + at, h, w, (planeEnd - n) * area, divisors, notRight, f.Tail, backward);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowAverageStride1Plane<TOps, TF, TI>(float* s, float* d, int h, int w, long remaining, float* divisors, TF notRight, float* tail, bool backward)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF zero = TOps.Zero;
        RowTerms<TOps, TF, TI>(s, notRight, backward, divisors, out TF atLeftA, out TF atA, out TF atRightA, out TF atLeftB, out TF atB, out TF atRightB);
        TF aboveLeftA = zero, aboveA = zero, aboveRightA = zero, aboveLeftB = zero, aboveB = zero, aboveRightB = zero;
        for (int r = 0; r < h; r++)
        {
            bool last = r + 1 == h;
            float* rowDivisors = divisors + ((r == 0 ? 0 : last ? 2 : 1) * 2 * lanes);
            TF belowLeftA = zero, belowA = zero, belowRightA = zero, belowLeftB = zero, belowB = zero, belowRightB = zero;
            if (!last)
            {
                float* nextDivisors = divisors + ((r + 2 == h ? 2 : 1) * 2 * lanes);
                RowTerms<TOps, TF, TI>(s + ((r + 1) * w), notRight, backward, nextDivisors, out belowLeftA, out belowA, out belowRightA, out belowLeftB, out belowB, out belowRightB);
            }
            TF sumA = zero, sumB = zero;
            if (r > 0)
            {
                sumA = TOps.Add(TOps.Add(TOps.Add(sumA, aboveLeftA), aboveA), aboveRightA);
                sumB = TOps.Add(TOps.Add(TOps.Add(sumB, aboveLeftB), aboveB), aboveRightB);
            }
            sumA = TOps.Add(TOps.Add(TOps.Add(sumA, atLeftA), atA), atRightA);
            sumB = TOps.Add(TOps.Add(TOps.Add(sumB, atLeftB), atB), atRightB);
            if (!last)
            {
                sumA = TOps.Add(TOps.Add(TOps.Add(sumA, belowLeftA), belowA), belowRightA);
                sumB = TOps.Add(TOps.Add(TOps.Add(sumB, belowLeftB), belowB), belowRightB);
            }
            if (!backward)
            {
                sumA = TOps.Divide(sumA, TOps.Load(rowDivisors));
                sumB = TOps.Divide(sumB, TOps.Load(rowDivisors + lanes));
            }
            float* dr = d + (r * w);
            long left = remaining - ((long)r * w);
            TOps.Store(sumA, dr);
            // The part's last row: what follows belongs to another part, or is past the end.
            StoreRow<TOps, TF, TI>(sumB, dr + lanes, left >= 2 * lanes ? lanes : (int)(left - lanes), tail);
            (aboveLeftA, aboveA, aboveRightA, aboveLeftB, aboveB, aboveRightB) = (atLeftA, atA, atRightA, atLeftB, atB, atRightB);
            (atLeftA, atA, atRightA, atLeftB, atB, atRightB) = (belowLeftA, belowA, belowRightA, belowLeftB, belowB, belowRightB);
        }
    }

    /// <summary>One input row's left, centre and right terms for its two vectors (the backward's divided into shares by the row's divisors first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTerms<TOps, TF, TI>(float* row, TF notRight, bool backward, float* rowDivisors,
        out TF leftA, out TF a, out TF rightA, out TF leftB, out TF b, out TF rightB)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        a = TOps.Load(row);
        b = TOps.Load(row + lanes);
        if (backward)
        {
            a = TOps.Divide(a, TOps.Load(rowDivisors));
            b = TOps.Divide(b, TOps.Load(rowDivisors + lanes));
        }
        // Column 0's left: the +0 moved in; column W − 1 (in the second vector) has no right.
        leftA = TOps.ShiftIn(TOps.Zero, a);
        rightA = TOps.ShiftOut(a, b);
        leftB = TOps.ShiftIn(a, b);
        rightB = TOps.Keep(notRight, TOps.ShiftOut(b, TOps.Zero));
    }
}
