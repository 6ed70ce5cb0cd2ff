using System.Runtime.CompilerServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// 3×3 stride-2 pad-1 average pooling forward on even planes straight from the input rows: each
/// output vector loads two vectors of each of its three input rows and splits them into even and
/// odd columns in registers (centre 2b, right 2b + 1), its left neighbours (2b − 1) the odd columns
/// moved up one lane with the last of the vector before (+0, the padding, at column 0). No phase
/// copy of the plane is written and read back (<see cref="FlatAverageStride2Forward{TOps, TF, TI}"/>
/// splits the whole 112×112 plane, 50 KB, past the 32 KB first-level cache, then reads it three
/// times). The additions are that kernel's chain: rows 2a − 1, 2a, 2a + 1, each left, centre, right,
/// from +0 (row −1 is padding: +0 three times, which leaves +0), then the plain path's division;
/// so the same bits (<c>PoolRowAverageTests</c>). <c>ENGINE_POOL_ROW_AVG_S2=off</c> keeps the phase kernel.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_ROW_AVG_S2=off</c>.</summary>
    public static bool RowAverageStride2 { get; set; } = SwitchOn("ENGINE_POOL_ROW_AVG_S2");

    [ThreadStatic] private static float[]? t_rowAverage;

    /// <summary>Planes [first, end) of 3×3 s2 p1 average pooling forward on an even plane, from the rows, at one width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowAverageStride2Forward<TOps, TF, TI>(in PoolPlan p, bool includePad, float* x, float* y, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.OutW, inW = p.InW, outputs = p.OutH * w;
        int row = Math.Max(w, lanes);
        // Divisors of row 0 and of the rows below it (1 past the row), then a narrow row's copy
        // (two vectors, zeros past it) and a vector for a partial store.
        float* divisors = Scratch(ref t_rowAverage, (2 * row) + (3 * lanes));
        float* below = divisors + row, copy = below + row, tail = copy + (2 * lanes);
        for (int b = 0; b < row; b++)
        {
            float columns = b == 0 ? 2 : 3;
            divisors[b] = b >= w ? 1f : includePad ? 9f : 2 * columns;
            below[b] = b >= w ? 1f : includePad ? 9f : 3 * columns;
        }
        new Span<float>(copy, 2 * lanes).Clear();
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            float* xp = x + (n * p.InH * inW), yp = y + (n * outputs);
            for (int a = 0; a < p.OutH; a++)
            {
                float* middle = xp + ((long)2 * a * inW), lower = middle + inW, upper = middle - inW;
                float* divisor = a == 0 ? divisors : below;
                float* yr = yp + ((long)a * w);
                if (w < lanes)
                {
                    // A row narrower than a vector: each input row copied into two zero-padded vectors.
                    TF sum = TOps.Zero;
                    if (a > 0)
                    {
                        sum = NarrowRow<TOps, TF, TI>(upper, inW, copy, sum);
                    }
                    sum = NarrowRow<TOps, TF, TI>(middle, inW, copy, sum);
                    sum = NarrowRow<TOps, TF, TI>(lower, inW, copy, sum);
                    StoreRow<TOps, TF, TI>(TOps.Divide(sum, TOps.Load(divisor)), yr, w, tail);
                    continue;
                }
                TF upperOdd = TOps.Zero, middleOdd = TOps.Zero, lowerOdd = TOps.Zero;
                int v = 0;
                for (; v + lanes <= w; v += lanes)
                {
                    TF sum = TOps.Zero;
                    if (a > 0)
                    {
                        sum = RowTaps<TOps, TF, TI>(upper + (2 * v), ref upperOdd, sum);
                    }
                    sum = RowTaps<TOps, TF, TI>(middle + (2 * v), ref middleOdd, sum);
                    sum = RowTaps<TOps, TF, TI>(lower + (2 * v), ref lowerOdd, sum);
                    TOps.Store(TOps.Divide(sum, TOps.Load(divisor + v)), yr + v);
                }
                if (v < w)
                {
                    // The last vector overlaps the one before (the same values again); its left
                    // neighbours are the odd columns of the pairs one column pair earlier.
                    v = w - lanes;
                    TF sum = TOps.Zero;
                    if (a > 0)
                    {
                        sum = LastRowTaps<TOps, TF, TI>(upper + (2 * v), sum);
                    }
                    sum = LastRowTaps<TOps, TF, TI>(middle + (2 * v), sum);
                    sum = LastRowTaps<TOps, TF, TI>(lower + (2 * v), sum);
                    TOps.Store(TOps.Divide(sum, TOps.Load(divisor + v)), yr + v);
                }
            }
        }
    }

    /// <summary><paramref name="sum"/> + left + centre + right of one input row for a vector of outputs; <paramref name="odd"/>: the odd columns of the vector before, then of this one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF RowTaps<TOps, TF, TI>(float* pairs, ref TF odd, TF sum)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TOps.LoadDeinterleaved(pairs, out TF even, out TF right);
        TF left = TOps.ShiftIn(odd, right);
        odd = right;
        return TOps.Add(TOps.Add(TOps.Add(sum, left), even), right);
    }

    /// <summary><see cref="RowTaps{TOps, TF, TI}"/> for a vector not in column 0 whose left neighbours are loaded (one column pair earlier).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF LastRowTaps<TOps, TF, TI>(float* pairs, TF sum)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TOps.LoadDeinterleaved(pairs - 2, out _, out TF left);
        TOps.LoadDeinterleaved(pairs, out TF even, out TF right);
        return TOps.Add(TOps.Add(TOps.Add(sum, left), even), right);
    }

    /// <summary><see cref="RowTaps{TOps, TF, TI}"/> of a whole row narrower than a vector of outputs, through a zero-padded copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF NarrowRow<TOps, TF, TI>(float* pairs, int width, float* copy, TF sum)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        Copy(pairs, copy, width);
        TF odd = TOps.Zero;
        return RowTaps<TOps, TF, TI>(copy, ref odd, sum);
    }
}
