using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Float pooling of small 2-D windows (up to 8×8, column stride 1 or 2, no dilation: ResNet's
/// 3×3 s2 p1 stem, GoogLeNet/Inception's 3×3 s1 p1) over padded input lines, with no per-position
/// edge code: each input row is copied once into a line with the padding written out (stride 2:
/// split into its even and odd columns, so every tap is one unaligned load), and every output
/// column, edges included, goes a vector at a time.
/// <list type="bullet">
/// <item>Max forward is separable: each line's first maximum over the window's columns, then the
/// first maximum of those over the window's rows. The first maximum in scan order of a window is the
/// first maximum (or first NaN) of the earliest row that holds it, so the value, and the tap it came
/// from, are the plain path's.</item>
/// <item>Average forward adds the window's taps in the plain path's scan order; a padding tap adds
/// +0, which leaves a sum that starts at +0 unchanged (it can never be −0), so the sum is the same.</item>
/// <item>Backward gathers instead of scattering: each dx element is the sum, in output scan order,
/// of what the outputs whose window holds it send it (max: dy when its window's first maximum is
/// that element, found again from x as above; average: dy / divisor), so the additions happen in
/// the plain path's order and dx is written once, never read.</item>
/// </list>
/// Results are bit-for-bit the plain path's (<c>PoolLinesTests</c>). <c>ENGINE_POOL_LINES=off</c>
/// sends these windows back to <see cref="PoolSimd"/>; <c>ENGINE_POOL_SIMD=off</c> turns both off.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_LINES=off</c>.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_POOL_LINES") is not ("off" or "0" or "false");

    private const int MaxWindow = 8;

    [ThreadStatic] private static float[]? t_floats;
    [ThreadStatic] private static int[]? t_ints;

    /// <summary>Whether the plan goes to this kernel.</summary>
    public static bool Takes(in PoolPlan p) => Enabled && PoolSimd.Bits > 0 && Fits(p);

    /// <summary>
    /// The windows the kernel does: 2-D (a depth axis, if any, with window 1 and no padding),
    /// at most 8×8, column stride 1 or 2, no dilation, padding under the window, every window
    /// holding at least one real element, not 2×2 stride 2 and not a whole plane (their own paths).
    /// </summary>
    internal static bool Fits(in PoolPlan p) =>
        !p.IsTwoByTwo && p.KD == 1 && p.SD == 1 && p.PD == 0 && p.OutD == p.InD
        && p.DH == 1 && p.DW == 1 && p.SW is 1 or 2 && p.SH >= 1
        && p.KH is >= 1 and <= MaxWindow && p.KW is >= 1 and <= MaxWindow && p.KH * p.KW > 1
        && p.PH < p.KH && p.PW < p.KW
        && ((p.OutH - 1) * p.SH) - p.PH < p.InH && ((p.OutW - 1) * p.SW) - p.PW < p.InW
        && !(p.OutH == 1 && p.OutW == 1 && p.KH == p.InH && p.KW == p.InW);

    /// <summary>Planes [first, end) forward, at the widest width the CPU, the setting and the row allow.</summary>
    public static void Forward(in PoolPlan p, bool max, bool includePad, float* x, float* y, int first, int end)
    {
        if (!max && TakesAnyFlatAverage(p))
        {
            FlatAverageForward(p, includePad, x, y, first, end);
            return;
        }
        switch (Width(p))
        {
            case 512: Forward<Pool512, Vector512<float>, Vector512<int>>(p, max, includePad, x, y, first, end); break;
            case 256: Forward<Pool256, Vector256<float>, Vector256<int>>(p, max, includePad, x, y, first, end); break;
            default: Forward<Pool128, Vector128<float>, Vector128<int>>(p, max, includePad, x, y, first, end); break;
        }
    }

    /// <summary>Planes [first, end) backward, dx of those planes overwritten.</summary>
    public static void Backward(in PoolPlan p, bool max, bool includePad, float* x, float* dy, float* dx, int first, int end)
    {
        if (!max && TakesAnyFlatAverage(p))
        {
            FlatAverageBackward(p, includePad, dy, dx, first, end);
            return;
        }
        switch (Width(p))
        {
            case 512: Backward<Pool512, Vector512<float>, Vector512<int>>(p, max, includePad, x, dy, dx, first, end); break;
            case 256: Backward<Pool256, Vector256<float>, Vector256<int>>(p, max, includePad, x, dy, dx, first, end); break;
            default: Backward<Pool128, Vector128<float>, Vector128<int>>(p, max, includePad, x, dy, dx, first, end); break;
        }
    }

    /// <summary>512 bits for rows of 12 or more columns, 256 for 6 or more, else 128 (as the CPU and ENGINE_POOL_SIMD allow).</summary>
    private static int Width(in PoolPlan p)
    {
        int columns = Math.Max(p.OutW, (p.InW + p.SW - 1) / p.SW);
        return PoolSimd.Bits >= 512 && columns >= 12 ? 512 : PoolSimd.Bits >= 256 && columns >= 6 ? 256 : 128;
    }

    /// <summary>Forward at one width (tests run every width against the plain path): 3×3 s1 p1 max of rows of two vectors row by row, else the line kernel.</summary>
    internal static void Forward<TOps, TF, TI>(in PoolPlan p, bool max, bool includePad, float* x, float* y, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        if (max && IsThreeByThreeSame(p) && TakesRowMaxStride1(p.InW, TOps.Lanes))
        {
            RowMaxStride1Values<TOps, TF, TI>(p, x, y, first, end);
            return;
        }
        LineForward<TOps, TF, TI>(p, max, includePad, x, y, first, end);
    }

    /// <summary>The line kernel's forward at one width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LineForward<TOps, TF, TI>(in PoolPlan p, bool max, bool includePad, float* x, float* y, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        var g = new PoolLineGeometry(p, TOps.Lanes);
        int lanes = TOps.Lanes;
        // Max: one line at a time, then each line's column maxima (InH rows); average: every line.
        int lineRows = max ? 1 : p.InH;
        float* lines = Scratch(ref t_floats, (lineRows * g.LineStride) + (p.InH * g.RowStride) + g.RowStride + (2 * lanes));
        float* rowMax = lines + (lineRows * g.LineStride);
        float* divisors = rowMax + (p.InH * g.RowStride);
        float* tail = divisors + g.RowStride;
        int* taps = stackalloc int[MaxWindow];
        g.TapOffsets(p, taps);
        if (!max)
        {
            g.ColumnCounts(p, divisors);
        }
        float window = p.KH * p.KW;
        for (long plane = (long)first * p.InD, planeEnd = (long)end * p.InD; plane < planeEnd; plane++)
        {
            float* xp = x + (plane * p.InH * p.InW), yp = y + (plane * p.OutH * p.OutW);
            if (max)
            {
                ColumnStage<TOps, TF, TI>(p, g, xp, lines, taps, rowMax, null, null);
            }
            else
            {
                for (int h = 0; h < p.InH; h++)
                {
                    FillLine<TOps, TF, TI>(g, p, xp + ((long)h * p.InW), lines + ((long)h * g.LineStride), 0f);
                }
            }
            for (int oh = 0; oh < p.OutH; oh++)
            {
                (int h0, int h1) = PoolingKernels.Taps(oh, p.SH, p.PH, p.KH, 1, p.InH);
                float* yr = yp + ((long)oh * p.OutW);
                bool spills = SpillsAllowed<TOps, TF, TI>(p, plane, planeEnd, oh);
                TF rows = TOps.Splat(h1 - h0);
                for (int v = 0; v < p.OutW; v += lanes)
                {
                    TF result;
                    if (max)
                    {
                        result = TOps.Load(rowMax + ((long)h0 * g.RowStride) + v);
                        for (int h = h0 + 1; h < h1; h++)
                        {
                            TF candidate = TOps.Load(rowMax + ((long)h * g.RowStride) + v);
                            result = TOps.Select(TOps.Beats(candidate, result), candidate, result);
                        }
                    }
                    else
                    {
                        TF sum = TOps.Zero;
                        for (int h = h0; h < h1; h++)
                        {
                            float* line = lines + ((long)h * g.LineStride) + v;
                            for (int t = 0; t < p.KW; t++)
                            {
                                sum = TOps.Add(sum, TOps.Load(line + taps[t]));
                            }
                        }
                        result = TOps.Divide(sum, includePad ? TOps.Splat(window) : TOps.Multiply(rows, TOps.Load(divisors + v)));
                    }
                    if (spills)
                    {
                        TOps.Store(result, yr + v);
                        continue;
                    }
                    StoreRow<TOps, TF, TI>(result, yr + v, p.OutW - v, tail);
                }
            }
        }
    }

    /// <summary>Backward at one width; dx of planes [first, end) is overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Backward<TOps, TF, TI>(in PoolPlan p, bool max, bool includePad, float* x, float* dy, float* dx, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        var g = new PoolLineGeometry(p, TOps.Lanes);
        int lanes = TOps.Lanes;
        // Per output row, padded on both sides: what it sends (max: dy; average: dy / divisor) and,
        // for max, which tap of its window (row · KW + column) took the maximum, −1 in the padding.
        float* sends = Scratch(ref t_floats, (p.OutH * g.OutStride) + g.LineStride + (p.InH * g.RowStride) + g.RowStride + (4 * lanes));
        float* line = sends + ((long)p.OutH * g.OutStride);
        float* rowMax = line + g.LineStride;
        float* divisors = rowMax + (p.InH * g.RowStride);
        float* tail = divisors + g.RowStride;
        int* winners = null, rowTap = null;
        if (max)
        {
            winners = ScratchInts(ref t_ints, (p.OutH * g.OutStride) + (p.InH * g.RowStride));
            rowTap = winners + ((long)p.OutH * g.OutStride);
            new Span<int>(winners, p.OutH * g.OutStride).Fill(-1);
        }
        else
        {
            // Outside an output row, +0: adding it leaves a gradient sum (never −0) as it is.
            new Span<float>(sends, p.OutH * g.OutStride).Clear();
            g.ColumnCounts(p, divisors);
        }
        int* taps = stackalloc int[MaxWindow];
        g.TapOffsets(p, taps);
        int* firstReal = stackalloc int[2 * Vector512<int>.Count];
        PoolLineGeometry.FirstRealTaps(p, firstReal, MaxWindow + lanes);
        float window = p.KH * p.KW;
        for (long plane = (long)first * p.InD, planeEnd = (long)end * p.InD; plane < planeEnd; plane++)
        {
            float* xp = x + (plane * p.InH * p.InW), dxp = dx + (plane * p.InH * p.InW), dyp = dy + (plane * p.OutH * p.OutW);
            if (max)
            {
                ColumnStage<TOps, TF, TI>(p, g, xp, line, taps, rowMax, rowTap, firstReal);
            }
            for (int oh = 0; oh < p.OutH; oh++)
            {
                (int h0, int h1) = PoolingKernels.Taps(oh, p.SH, p.PH, p.KH, 1, p.InH);
                float* gy = dyp + ((long)oh * p.OutW), send = sends + ((long)oh * g.OutStride) + g.OutPad;
                TF rows = TOps.Splat(h1 - h0);
                for (int v = 0; v < p.OutW; v += lanes)
                {
                    TF grad = LoadRow<TOps, TF, TI>(gy + v, p.OutW - v, tail);
                    if (!max)
                    {
                        TOps.Store(TOps.Divide(grad, includePad ? TOps.Splat(window) : TOps.Multiply(rows, TOps.Load(divisors + v))), send + v);
                        continue;
                    }
                    TI tap = WindowArgMax<TOps, TF, TI>(p, g, rowMax, rowTap, oh, h0, h1, v, out _);
                    TOps.Store(grad, send + v);
                    TOps.StoreIndex(tap, winners + ((long)oh * g.OutStride) + g.OutPad + v);
                }
                if (max)
                {
                    NoWinnersPastRow(p, g, winners, oh);
                }
                else
                {
                    new Span<float>(send + p.OutW, g.RowStride - p.OutW).Clear();
                }
            }
            GatherPlane<TOps, TF, TI>(p, g, sends, winners, dxp, tail);
        }
    }

    /// <summary>
    /// Each line's column maxima (and, with <paramref name="rowTap"/>, their column taps) for every
    /// input row of the plane at <paramref name="xp"/>: the first stage of a max window.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnStage<TOps, TF, TI>(in PoolPlan p, in PoolLineGeometry g, float* xp, float* line, int* taps, float* rowMax, int* rowTap, int* firstReal)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        for (int h = 0; h < p.InH; h++)
        {
            FillLine<TOps, TF, TI>(g, p, xp + ((long)h * p.InW), line, float.NegativeInfinity);
            ColumnMaxima<TOps, TF, TI>(p, line, taps, rowMax + ((long)h * g.RowStride), rowTap is null ? null : rowTap + ((long)h * g.RowStride), firstReal);
        }
    }

    /// <summary>
    /// The first maximum of output columns v … of output row <paramref name="oh"/> (input rows
    /// [h0, h1)) over the rows' column maxima, and which tap of its window (row · KW + column) it is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TI WindowArgMax<TOps, TF, TI>(in PoolPlan p, in PoolLineGeometry g, float* rowMax, int* rowTap, int oh, int h0, int h1, int v, out TF best)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int top = (oh * p.SH) - p.PH;
        best = TOps.Load(rowMax + ((long)h0 * g.RowStride) + v);
        TI tap = TOps.Shift(TOps.LoadIndex(rowTap + ((long)h0 * g.RowStride) + v), (h0 - top) * p.KW);
        for (int h = h0 + 1; h < h1; h++)
        {
            TF candidate = TOps.Load(rowMax + ((long)h * g.RowStride) + v);
            TF wins = TOps.Beats(candidate, best);
            best = TOps.Select(wins, candidate, best);
            tap = TOps.SelectIndex(wins, TOps.Shift(TOps.LoadIndex(rowTap + ((long)h * g.RowStride) + v), (h - top) * p.KW), tap);
        }
        return tap;
    }

    /// <summary>The last vector's lanes past output row <paramref name="oh"/> are no outputs: no tap of theirs may match.</summary>
    private static void NoWinnersPastRow(in PoolPlan p, in PoolLineGeometry g, int* winners, int oh)
    {
        int* pastRow = winners + ((long)oh * g.OutStride) + g.OutPad;
        for (int ow = p.OutW; ow < g.RowStride; ow++)
        {
            pastRow[ow] = -1;
        }
    }

    /// <summary>
    /// dx of one plane (overwritten) from the padded output rows: what each output sends and, for
    /// max (<paramref name="winners"/> set), which tap of its window took it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherPlane<TOps, TF, TI>(in PoolPlan p, in PoolLineGeometry g, float* sends, int* winners, float* dxp, float* tail)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, s = p.SW;
        for (int h = 0; h < p.InH; h++)
        {
            // The output rows whose window holds row h, in order: h = oh·SH − PH + th, 0 ≤ th < KH.
            int ohFirst = Math.Max(0, (h + p.PH - p.KH + p.SH) / p.SH), ohEnd = Math.Min(p.OutH, ((h + p.PH) / p.SH) + 1);
            float* dxr = dxp + ((long)h * p.InW);
            // Two vectors at a time: two independent add chains (one chain is latency-bound).
            for (int v = 0; v < g.Columns; v += 2 * lanes)
            {
                Gather<TOps, TF, TI>(p, g, sends, winners, h, ohFirst, ohEnd, 0, v, out TF even, out TF nextEven);
                if (s == 1)
                {
                    StoreRow<TOps, TF, TI>(even, dxr + v, p.InW - v, tail);
                    if (v + lanes < p.InW)
                    {
                        StoreRow<TOps, TF, TI>(nextEven, dxr + v + lanes, p.InW - v - lanes, tail);
                    }
                    continue;
                }
                Gather<TOps, TF, TI>(p, g, sends, winners, h, ohFirst, ohEnd, 1, v, out TF odd, out TF nextOdd);
                StoreInterleaved<TOps, TF, TI>(even, odd, dxr + (2 * v), p.InW - (2 * v), tail);
                if (v + lanes < g.Columns)
                {
                    StoreInterleaved<TOps, TF, TI>(nextEven, nextOdd, dxr + (2 * (v + lanes)), p.InW - (2 * (v + lanes)), tail);
                }
            }
        }
    }

    /// <summary>Stores even and odd lanes interleaved, the first <paramref name="count"/> floats of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInterleaved<TOps, TF, TI>(TF even, TF odd, float* destination, int count, float* tail)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        if (count >= 2 * TOps.Lanes)
        {
            TOps.Interleave(even, odd, destination);
            return;
        }
        TOps.Interleave(even, odd, tail);
        Copy(tail, destination, count);
    }

    /// <summary>
    /// dx of input row h at columns s·(v + i) + phase, lane i: the sum, in output scan order, of what
    /// the outputs whose window holds that element send it. Output column ow reaches input column
    /// s·ow − PW + t with tap t, so column s·j + phase hears from ow = j − m with tap s·m + phase + PW,
    /// ow rising as m falls.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather<TOps, TF, TI>(in PoolPlan p, in PoolLineGeometry g, float* sends, int* winners, int h, int ohFirst, int ohEnd, int phase, int v,
        out TF first, out TF second)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int s = p.SW, lanes = TOps.Lanes;
        // Taps t = s·m + phase + PW in [0, KW): m from ⌈(−phase − PW)/s⌉ to ⌊(KW − 1 − phase − PW)/s⌋.
        int mLow = -((phase + p.PW) / s), mHigh = FloorDiv(p.KW - 1 - phase - p.PW, s);
        // Columns v … and v + lanes …: the padded rows leave room to read the second past the row.
        TF sum = TOps.Zero, next = TOps.Zero;
        for (int oh = ohFirst; oh < ohEnd; oh++)
        {
            int th = h - ((oh * p.SH) - p.PH);
            long row = ((long)oh * g.OutStride) + g.OutPad + v;
            float* send = sends + row;
            if (winners is null)
            {
                for (int m = mHigh; m >= mLow; m--)
                {
                    sum = TOps.Add(sum, TOps.Load(send - m));
                    next = TOps.Add(next, TOps.Load(send + lanes - m));
                }
                continue;
            }
            int* won = winners + row;
            for (int m = mHigh; m >= mLow; m--)
            {
                TI tap = TOps.SplatIndex((th * p.KW) + (s * m) + phase + p.PW);
                sum = TOps.Select(TOps.IndexEqual(TOps.LoadIndex(won - m), tap), TOps.Add(sum, TOps.Load(send - m)), sum);
                next = TOps.Select(TOps.IndexEqual(TOps.LoadIndex(won + lanes - m), tap), TOps.Add(next, TOps.Load(send + lanes - m)), next);
            }
        }
        first = sum;
        second = next;
    }

    /// <summary>
    /// Each output column's first maximum over the window's columns of one line (a NaN wins), and
    /// when <paramref name="tapOut"/> is set, which column tap it was.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnMaxima<TOps, TF, TI>(in PoolPlan p, float* line, int* taps, float* maxOut, int* tapOut, int* firstReal)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF negativeInfinity = TOps.Splat(float.NegativeInfinity);
        for (int v = 0; v < p.OutW; v += lanes)
        {
            TF best = TOps.Load(line + taps[0] + v);
            TI tap = TOps.SplatIndex(0);
            for (int t = 1; t < p.KW; t++)
            {
                TF candidate = TOps.Load(line + taps[t] + v);
                TF wins = TOps.Beats(candidate, best);
                best = TOps.Select(wins, candidate, best);
                if (tapOut is not null)
                {
                    tap = TOps.SelectIndex(wins, TOps.SplatIndex(t), tap);
                }
            }
            TOps.Store(best, maxOut + v);
            if (tapOut is not null)
            {
                if (v * p.SW < p.PW)
                {
                    // Left padding holds −∞ and comes first, so it keeps a window whose real elements
                    // are all −∞; the plain path takes the first real one: tap max(0, PW − ow·SW).
                    tap = TOps.SelectIndex(TOps.Equal(best, negativeInfinity), TOps.LoadIndex(firstReal + v), tap);
                }
                TOps.StoreIndex(tap, tapOut + v);
            }
        }
    }

    /// <summary>
    /// Copies input row <paramref name="row"/> into a line: padding written out as
    /// <paramref name="fillValue"/> (−∞ for max, 0 for average), stride 2 split into even and odd columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillLine<TOps, TF, TI>(in PoolLineGeometry g, in PoolPlan p, float* row, float* line, float fillValue)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TF fill = TOps.Splat(fillValue);
        int lanes = TOps.Lanes, s = p.SW, c = 0;
        if (s == 1)
        {
            float* target = line + g.PadSlots;
            for (; c + lanes <= p.InW; c += lanes)
            {
                TOps.Store(TOps.Load(row + c), target + c);
            }
            for (; c < p.InW; c++)
            {
                target[c] = row[c];
            }
        }
        else
        {
            float* even = line + g.PadSlots, odd = even + g.PhaseStride;
            for (; c + (2 * lanes) <= p.InW; c += 2 * lanes)
            {
                TOps.Deinterleave(row + c, even + (c / 2), odd + (c / 2));
            }
            for (; c < p.InW; c++)
            {
                line[((c & 1) * g.PhaseStride) + g.PadSlots + (c >> 1)] = row[c];
            }
        }
        for (int phase = 0; phase < s; phase++)
        {
            float* start = line + ((long)phase * g.PhaseStride);
            for (int k = 0; k < g.PadSlots; k++)
            {
                start[k] = fillValue;
            }
            // After the row up to the last slot a tap reads (the stride leaves room for the last store).
            for (int k = g.PadSlots + ((p.InW - phase + s - 1) / s); k < g.FillEnd; k += lanes)
            {
                TOps.Store(fill, start + k);
            }
        }
    }

    /// <summary>
    /// Whether output row <paramref name="oh"/> of <paramref name="plane"/> may be stored a whole vector
    /// at a time, lanes past its end included: they land on the outputs after it, which this part writes
    /// later (rows and planes in order), when at least a vector of those follows in the part; near the
    /// part's end they would be another part's or past the end. Saves the tail copies of rows that are
    /// not a whole number of vectors (28 wide: 12 of 32).
    /// </summary>
    private static bool SpillsAllowed<TOps, TF, TI>(in PoolPlan p, long plane, long planeEnd, int oh)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct =>
        ((long)(p.OutH - 1 - oh) * p.OutW) + ((planeEnd - 1 - plane) * p.OutH * p.OutW) >= TOps.Lanes;

    /// <summary>Stores the first <paramref name="count"/> lanes (all when there are that many).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TOps, TF, TI>(TF value, float* destination, int count, float* tail)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        if (count >= TOps.Lanes)
        {
            TOps.Store(value, destination);
            return;
        }
        TOps.Store(value, tail);
        Copy(tail, destination, count);
    }

    /// <summary>Loads the first <paramref name="count"/> lanes, zeros after them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF LoadRow<TOps, TF, TI>(float* source, int count, float* tail)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        if (count >= TOps.Lanes)
        {
            return TOps.Load(source);
        }
        TOps.Store(TOps.Zero, tail);
        Copy(source, tail, count);
        return TOps.Load(tail);
    }

    /// <summary>
    /// A row's last few floats (fewer than a vector), one by one rather than through Span.CopyTo's
    /// call into Memmove, which a profile of the 3×3 s1 case showed among the hot symbols (two short
    /// tails per row); no change was measurable either way under this machine's load.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* source, float* destination, int count)
    {
        for (int i = 0; i < count; i++)
        {
            destination[i] = source[i];
        }
    }

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>A per-thread buffer of at least <paramref name="length"/> elements, grown (never shrunk) on demand.</summary>
    private static float* Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
        }
        return (float*)Unsafe.AsPointer(ref buffer[0]);
    }

    private static int* ScratchInts(ref int[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<int>(length, pinned: true);
        }
        return (int*)Unsafe.AsPointer(ref buffer[0]);
    }
}
