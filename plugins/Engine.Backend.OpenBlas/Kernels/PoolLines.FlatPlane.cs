using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// 3×3 stride-1 pad-1 max pooling forward keeping its arg-max (Inception's pool), a plane seen as
/// one flat run of H·W floats rather than row by row: a 28-wide row takes two 16-lane vectors with 4
/// lanes idle plus per-row edge work (line copy, tail, window rows), which the row-by-row stages pay
/// 28 times a plane. Here the left/right neighbours are at ±1 and the rows above/below at ±W, and
/// the padding is lane masks by position (column 0, column W − 1, row 0, row H − 1). The stages and
/// their comparisons are the line kernel's: each position's first maximum over left, centre, right
/// (padding −∞; a window whose real elements are all −∞ takes its first real one), then over the
/// rows above, at and below, starting from the first real row. Same values and taps bit for bit
/// (<c>PoolArgMaxTests</c>). <c>ENGINE_POOL_FLAT=off</c> keeps the line kernel.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_FLAT=off</c>.</summary>
    public static bool FlatPlanes { get; set; } = SwitchOn("ENGINE_POOL_FLAT");

    /// <summary>Whether the environment variable leaves a fast path on (anything but off, 0 or false).</summary>
    private static bool SwitchOn(string variable) => Environment.GetEnvironmentVariable(variable) is not ("off" or "0" or "false");

    [ThreadStatic] private static float[]? t_flat;
    [ThreadStatic] private static int[]? t_flatTaps;

    /// <summary>Whether the arg-max forward of this plan (one the line kernel takes) runs on flat planes: 3×3 s1 p1, output the input's size.</summary>
    internal static bool TakesFlat(in PoolPlan p) =>
        FlatPlanes && IsThreeByThreeSame(p);

    /// <summary>Forward keeping the taps on flat planes, at one width (tests run every width against the plain path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FlatForwardKeepingArgMax<TOps, TF, TI>(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.InW, area = p.InH * p.InW;
        int span = (area + lanes - 1) / lanes * lanes, margin = w + (2 * lanes);
        long total = (long)p.Planes * p.InD * area;
        // The plane with margins (read by the ±1 and ±W loads), its column maxima with margins, and
        // four masks by position: column 0, column W − 1, row 0, row H − 1 (all bits set: padding there).
        float* plane = Scratch(ref t_flat, (2 * (span + (2 * margin))) + (4 * span) + lanes);
        float* columnMax = plane + span + (2 * margin);
        float* left = columnMax + span + (2 * margin), right = left + span, top = right + span, bottom = top + span, tail = bottom + span;
        int* columnTap = ScratchInts(ref t_flatTaps, span + (2 * margin) + lanes);
        int* tapTail = columnTap + span + (2 * margin);
        plane += margin;
        columnMax += margin;
        columnTap += margin;
        new Span<float>(plane - margin, span + (2 * margin)).Fill(float.NegativeInfinity);
        // The NaN-free stages read the margins as padding (the NaN-aware ones mask it).
        new Span<float>(columnMax - margin, span + (2 * margin)).Fill(float.NegativeInfinity);
        new Span<int>(columnTap - margin, span + (2 * margin)).Clear();
        TopMargin(columnMax, columnTap, w, lanes);
        float set = BitConverter.Int32BitsToSingle(-1);
        for (int i = 0; i < span; i++)
        {
            int row = i / w, column = i % w;
            left[i] = column == 0 ? set : 0f;
            right[i] = column == w - 1 ? set : 0f;
            top[i] = row == 0 ? set : 0f;
            bottom[i] = row >= p.InH - 1 ? set : 0f;
        }
        TF negativeInfinity = TOps.Splat(float.NegativeInfinity);
        TI zero = TOps.SplatIndex(0), one = TOps.SplatIndex(1), two = TOps.SplatIndex(2);
        bool rows = TakesRowMaxStride1(w, lanes);
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            // The column stages mask what lies left of column 0 and right of column W − 1, so they
            // read x where it lies; only the tensor's first and last planes, whose loads at −1 and
            // past the span would leave it, are copied between margins.
            float* source = x + (n * area);
            // Row by row, the last row's second vector reads up to two vectors past its start.
            if (n == 0 || (n * area) + span + 1 > total || (rows && (n * area) + area - w + (2 * lanes) > total))
            {
                new ReadOnlySpan<float>(source, area).CopyTo(new Span<float>(plane, area));
                source = plane;
            }
            float* yp = y + (n * area);
            byte* ap = argMax + (n * area);
            if (rows && RowMaxStride1Plane<TOps, TF, TI>(source, yp, ap, p.InH, w, (planeEnd - n) * area, tail, tapTail))
            {
                continue;
            }
            if (NanFree && !rows && NanFreeColumnStage<TOps, TF, TI>(source, left, right, span, columnMax, columnTap))
            {
                // Below the last row: −∞ (the stage wrote the span's lanes past the plane).
                TOps.Store(negativeInfinity, columnMax + area);
                int i = 0;
                for (int whole = WholeVectors((planeEnd - n) * area, span, lanes); i < whole; i += lanes)
                {
                    TOps.Store(NanFreeRowsAt<TOps, TF, TI>(columnMax, columnTap, i, w, out TI tap), yp + i);
                    TOps.StoreBytes(tap, ap + i);
                }
                for (; i < span; i += lanes)
                {
                    TF best = NanFreeRowsAt<TOps, TF, TI>(columnMax, columnTap, i, w, out TI tap);
                    StoreWindow<TOps, TF, TI>(best, tap, yp + i, ap + i, area - i, tail, tapTail);
                }
                continue;
            }
            for (int i = 0; i < span; i += lanes)
            {
                TF isLeft = TOps.Load(left + i);
                TF best = TOps.Select(isLeft, negativeInfinity, TOps.Load(source + i - 1));
                TF candidate = TOps.Load(source + i);
                TF wins = TOps.Beats(candidate, best);
                best = TOps.Select(wins, candidate, best);
                TI tap = TOps.SelectIndex(wins, one, zero);
                candidate = TOps.Select(TOps.Load(right + i), negativeInfinity, TOps.Load(source + i + 1));
                wins = TOps.Beats(candidate, best);
                best = TOps.Select(wins, candidate, best);
                tap = TOps.SelectIndex(wins, two, tap);
                // As ColumnMaxima: column 0's window with no real element above −∞ takes its first real tap, 1.
                tap = TOps.SelectIndex(TOps.Select(isLeft, TOps.Equal(best, negativeInfinity), TOps.Zero), one, tap);
                TOps.Store(best, columnMax + i);
                TOps.StoreIndex(tap, columnTap + i);
            }
            for (int i = 0; i < span; i += lanes)
            {
                // Row 0's windows start at their first real row (the one at the output), tap + 3.
                TF isTop = TOps.Load(top + i), middle = TOps.Load(columnMax + i);
                TI middleTap = TOps.Shift(TOps.LoadIndex(columnTap + i), 3);
                TF best = TOps.Select(isTop, middle, TOps.Load(columnMax + i - w));
                TI tap = TOps.SelectIndex(isTop, middleTap, TOps.LoadIndex(columnTap + i - w));
                TF wins = TOps.Beats(middle, best);
                best = TOps.Select(wins, middle, best);
                tap = TOps.SelectIndex(wins, middleTap, tap);
                TF below = TOps.Load(columnMax + i + w);
                wins = TOps.Select(TOps.Load(bottom + i), TOps.Zero, TOps.Beats(below, best));
                best = TOps.Select(wins, below, best);
                tap = TOps.SelectIndex(wins, TOps.Shift(TOps.LoadIndex(columnTap + i + w), 6), tap);
                // A whole vector may run into the next planes' outputs, which this part writes next.
                long remaining = ((planeEnd - n) * area) - i;
                StoreWindow<TOps, TF, TI>(best, tap, yp + i, ap + i, remaining >= lanes ? lanes : area - i, tail, tapTail);
            }
        }
    }
}
