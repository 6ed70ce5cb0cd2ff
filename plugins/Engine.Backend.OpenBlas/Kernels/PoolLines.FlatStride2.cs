using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// 3×3 stride-2 pad-1 max pooling forward keeping its arg-max (ResNet's stem pool) on flat planes,
/// for even heights and widths (no padding right or below). The plane is split once into its four
/// phases, x[2a + r][2b + c] for r, c ∈ {0, 1}, each an OutH·OutW run indexed like the output, so
/// every tap of output o is a load at o, o − 1 or o − OutW of one phase: the window's rows 2a − 1,
/// 2a, 2a + 1 are odd row a − 1, even row a, odd row a, its columns 2b − 1, 2b, 2b + 1 odd column
/// b − 1, even column b, odd column b. The stages and comparisons are the line kernel's: each row's
/// first maximum over left, centre, right (column 0's left is padding, −∞; a window whose real
/// elements are all −∞ takes its first real tap), then over the rows above, at and below, row 0's
/// windows starting at their first real row. Same values and taps bit for bit (<c>PoolFlatTests</c>).
/// The row-by-row stages pay a line copy, an output row of 56 in four 16-lane vectors and per-row
/// edge work 112 times a plane. <c>ENGINE_POOL_FLAT_S2=off</c> keeps the line kernel.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_FLAT_S2=off</c>.</summary>
    public static bool FlatStride2 { get; set; } = SwitchOn("ENGINE_POOL_FLAT_S2");

    /// <summary>Vectors of outputs per band (see <see cref="FlatStride2ForwardKeepingArgMax{TOps, TF, TI}"/>).</summary>
    private const int BandVectors = 16;

    [ThreadStatic] private static float[]? t_phases;
    [ThreadStatic] private static int[]? t_phaseTaps;

    /// <summary>Whether the arg-max forward of this plan runs on flat phases: 3×3 s2 p1 on an even plane, output half its size.</summary>
    internal static bool TakesFlatStride2(in PoolPlan p) => FlatStride2 && IsStride2Even(p);

    /// <summary>3×3, stride 2, padding 1 on both axes, an even plane, output half its size (no padding right or below).</summary>
    internal static bool IsStride2Even(in PoolPlan p) =>
        p.KH == 3 && p.KW == 3 && p.SH == 2 && p.SW == 2 && p.PH == 1 && p.PW == 1
        && p.InH % 2 == 0 && p.InW % 2 == 0 && p.OutH * 2 == p.InH && p.OutW * 2 == p.InW;

    /// <summary>Forward keeping the taps on flat phases, at one width (tests run every width against the plain path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FlatStride2ForwardKeepingArgMax<TOps, TF, TI>(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.OutW, outputs = p.OutH * p.OutW;
        int span = (outputs + lanes - 1) / lanes * lanes, margin = w + lanes, stride = span + margin;
        // Four phases (even row even column, even odd, odd even, odd odd) and the odd rows' column
        // maxima, each after a margin (the loads at −1 and −OutW); two masks: column 0, row 0.
        float* buffer = Scratch(ref t_phases, (5 * stride) + (2 * span) + lanes);
        float* p00 = buffer + margin, p01 = p00 + stride, p10 = p01 + stride, p11 = p10 + stride, oddMax = p11 + stride;
        float* left = oddMax + span, top = left + span, tail = top + span;
        int* oddTap = ScratchInts(ref t_phaseTaps, stride + lanes) + margin;
        int* tapTail = oddTap + span;
        new Span<float>(buffer, 5 * stride).Clear();
        new Span<int>(oddTap - margin, stride).Clear();
        TopMargin(oddMax, oddTap, w, lanes); // the NaN-free stages read it as the row above row 0
        float set = BitConverter.Int32BitsToSingle(-1);
        for (int i = 0; i < span; i++)
        {
            left[i] = i % w == 0 ? set : 0f;
            top[i] = i < w ? set : 0f;
        }
        // Bands of a plane's outputs, split, then taken by both stages while their phases are in L1
        // (a 112×112 plane's phases and odd-row maxima, 75 KB, are not).
        int band = BandVectors * lanes;
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            float* xp = x + (n * p.InH * p.InW);
            float* yp = y + (n * outputs);
            byte* ap = argMax + (n * outputs);
            bool spills = ((planeEnd - n) * outputs) >= outputs + lanes;
            for (int i0 = 0, split = 0; i0 < span; i0 += band)
            {
                int i1 = Math.Min(span, i0 + band);
                // The phase rows the band's loads reach (positions up to i1 − 1), two input rows each.
                for (int rows = Math.Min(p.OutH, ((i1 - 1) / w) + 1); split < rows; split++)
                {
                    float* even = p00 + ((long)split * w), odd = p10 + ((long)split * w);
                    float* row = xp + ((long)2 * split * p.InW);
                    SplitColumns<TOps, TF, TI>(row, p.InW, even, even + stride); // odd columns: the next phase
                    SplitColumns<TOps, TF, TI>(row + p.InW, p.InW, odd, odd + stride);
                }
                // The band's first outputs read the odd columns before it as left neighbours, which
                // the NaN-free stages do not check: a NaN there sends the band to the NaN-aware ones.
                bool numbersBefore = i0 == 0 || !(float.IsNaN(p01[i0 - 1]) || float.IsNaN(p11[i0 - 1]));
                if (NanFree && numbersBefore && NanFreeStride2<TOps, TF, TI>(p00, p10, left, w, outputs, i0, i1, oddMax, oddTap, yp, ap, spills, tail, tapTail))
                {
                    continue;
                }
                for (int i = i0; i < i1; i += lanes)
                {
                    TF best = FirstOfThree<TOps, TF, TI>(p11 + i, p10 + i, TOps.Load(left + i), out TI tap);
                    TOps.Store(best, oddMax + i);
                    TOps.StoreIndex(tap, oddTap + i);
                }
                for (int i = i0; i < i1; i += lanes)
                {
                    // Row 0's windows start at their first real row (even row 0, taps + 3).
                    TF middle = FirstOfThree<TOps, TF, TI>(p01 + i, p00 + i, TOps.Load(left + i), out TI middleTap);
                    middleTap = TOps.Shift(middleTap, 3);
                    TF isTop = TOps.Load(top + i);
                    TF best = TOps.Select(isTop, middle, TOps.Load(oddMax + i - w));
                    TI tap = TOps.SelectIndex(isTop, middleTap, TOps.LoadIndex(oddTap + i - w));
                    TF wins = TOps.Beats(middle, best);
                    best = TOps.Select(wins, middle, best);
                    tap = TOps.SelectIndex(wins, middleTap, tap);
                    TF below = TOps.Load(oddMax + i);
                    wins = TOps.Beats(below, best);
                    best = TOps.Select(wins, below, best);
                    tap = TOps.SelectIndex(wins, TOps.Shift(TOps.LoadIndex(oddTap + i), 6), tap);
                    StoreWindow<TOps, TF, TI>(best, tap, yp + i, ap + i, spills ? lanes : outputs - i, tail, tapTail);
                }
            }
        }
    }

    /// <summary>
    /// One band's outputs [<paramref name="i0"/>, <paramref name="i1"/>) and taps by the NaN-free stages from its phases (<paramref name="p00"/>, the
    /// even-even one, and <paramref name="p10"/>, odd-even, each followed by its odd-column phase one
    /// stride on); false, with garbage written, when the band holds a NaN. <paramref name="spills"/>:
    /// whole vectors may run past the plane's last output (a vector of this part's outputs follows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NanFreeStride2<TOps, TF, TI>(float* p00, float* p10, float* left, int w, int outputs, int i0, int i1, float* oddMax, int* oddTap,
        float* yp, byte* ap, bool spills, float* tail, int* tapTail)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        long stride = (p10 - p00) / 2;
        float* p01 = p00 + stride, p11 = p10 + stride;
        TF seen = TOps.Zero;
        for (int i = i0; i < i1; i += lanes)
        {
            TF best = NanFreeFirstOfThree<TOps, TF, TI>(p11 + i, p10 + i, TOps.Load(left + i), ref seen, out TI tap);
            TOps.Store(best, oddMax + i);
            TOps.StoreIndex(tap, oddTap + i);
        }
        for (int i = i0; i < i1; i += lanes)
        {
            TF middle = NanFreeFirstOfThree<TOps, TF, TI>(p01 + i, p00 + i, TOps.Load(left + i), ref seen, out TI middleTap);
            TF best = NanFreeRows<TOps, TF, TI>(TOps.Load(oddMax + i - w), TOps.LoadIndex(oddTap + i - w), middle, middleTap,
                TOps.Load(oddMax + i), TOps.LoadIndex(oddTap + i), out TI tap);
            StoreWindow<TOps, TF, TI>(best, tap, yp + i, ap + i, spills ? lanes : outputs - i, tail, tapTail);
        }
        return TOps.AllNumbers(seen);
    }

    /// <summary>
    /// The first maximum (a NaN wins) of an input row's columns 2b − 1, 2b, 2b + 1 for outputs b …:
    /// <paramref name="odd"/>[b − 1] (−∞ padding in column 0), <paramref name="even"/>[b],
    /// <paramref name="odd"/>[b]; its tap 0, 1 or 2, and 1 (the first real) in column 0 when all are −∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF FirstOfThree<TOps, TF, TI>(float* odd, float* even, TF isLeft, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TF negativeInfinity = TOps.Splat(float.NegativeInfinity);
        TF best = TOps.Select(isLeft, negativeInfinity, TOps.Load(odd - 1));
        TF candidate = TOps.Load(even);
        TF wins = TOps.Beats(candidate, best);
        best = TOps.Select(wins, candidate, best);
        tap = TOps.SelectIndex(wins, TOps.SplatIndex(1), TOps.SplatIndex(0));
        candidate = TOps.Load(odd);
        wins = TOps.Beats(candidate, best);
        best = TOps.Select(wins, candidate, best);
        tap = TOps.SelectIndex(wins, TOps.SplatIndex(2), tap);
        tap = TOps.SelectIndex(TOps.Select(isLeft, TOps.Equal(best, negativeInfinity), TOps.Zero), TOps.SplatIndex(1), tap);
        return best;
    }

    /// <summary>
    /// Splits one input row of <paramref name="width"/> (even) floats into its even and odd columns,
    /// two vectors at a time; the last pair overlaps the one before it when the row is not a whole
    /// number of them (it writes the same values again).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitColumns<TOps, TF, TI>(float* row, int width, float* even, float* odd)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int pair = 2 * TOps.Lanes;
        if (width < pair)
        {
            for (int c = 0; c < width; c += 2)
            {
                even[c >> 1] = row[c];
                odd[c >> 1] = row[c + 1];
            }
            return;
        }
        int at = 0;
        for (; at + pair <= width; at += pair)
        {
            TOps.Deinterleave(row + at, even + (at >> 1), odd + (at >> 1));
        }
        if (at < width)
        {
            at = width - pair;
            TOps.Deinterleave(row + at, even + (at >> 1), odd + (at >> 1));
        }
    }
}
