using System.Runtime.CompilerServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The flat 3×3 s1 p1 average's nine taps from three loads per output vector instead of twelve: the
/// rows above, at and below (offsets −W, 0, +W) are three runs read one vector ahead, and each run's
/// left (right) neighbours are the vector before (after) moved in by a lane in registers
/// (<see cref="IPoolLanes{TF, TI}.ShiftIn"/>, <see cref="IPoolLanes{TF, TI}.ShiftOut"/>), where the
/// flat kernel loads them at ±1 and ±W ± 1 (nearly all of them splitting a cache line at W = 28) and
/// loads the divisor every vector even when it is 9. The forward reads x where it lies, no copy of the
/// plane (helper <c>pools1</c> measured that copy at a quarter of the pass, serial with the taps): row 0's
/// row-above sum and row H − 1's row-below terms are set aside by two position masks, in the few
/// vectors that hold those rows, and only a part's first and last planes (whose neighbours may lie
/// outside the tensor) go through the zero-margined copy. Same additions in the same order as
/// <see cref="FlatAverageFrame{TOps, TF, TI}.NineTaps"/>, one chain from +0 (a sum that starts at +0 is
/// never −0, so adding the padding's +0 and leaving it out give the same bits): the plain path's bits
/// (<c>PoolSlideAverageTests</c>). <c>ENGINE_POOL_SLIDE_AVG=off</c> keeps the twelve-load taps.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_SLIDE_AVG=off</c>.</summary>
    public static bool SlideAverage { get; set; } = SwitchOn("ENGINE_POOL_SLIDE_AVG");

    /// <summary>Forward of planes [first, end) by sliding runs, at one width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SlideAverageForward<TOps, TF, TI>(in FlatAverageFrame<TOps, TF, TI> f, in PoolPlan p, bool includePad, float* x, float* y, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.InW, area = p.InH * w;
        long total = (long)p.Planes * p.InD * area;
        (int top, int bottom) = SlideEdges(area, w, lanes, f.Span);
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            // In place where every load (from −W − lanes to Span + W + lanes) stays inside x.
            long at = n * area;
            float* source = x + at;
            if (at - w - lanes < 0 || at + f.Span + w + lanes > total)
            {
                new ReadOnlySpan<float>(source, area).CopyTo(new Span<float>(f.Plane, area));
                source = f.Plane;
            }
            // A whole vector may run into the next planes' outputs, which this part writes next.
            int whole = WholeVectors(((planeEnd - n) * area), f.Span, lanes);
            SlidePlane(f, source, y + at, w, area, top, bottom, whole, includePad, edges: true);
        }
    }

    /// <summary>The nine-tap sums of a plane held in the frame's zero-margined plane (the backward's shares), stored to <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SlideSums<TOps, TF, TI>(in FlatAverageFrame<TOps, TF, TI> f, float* destination, int w, int area, int whole)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct =>
        SlidePlane(f, f.Plane, destination, w, area, 0, 0, whole, includePad: true, edges: false);

    /// <summary>
    /// The vectors that hold row 0 (i &lt; <c>top</c>) and row H − 1 (i ≥ <c>bottom</c>); between them
    /// no vector holds either.
    /// </summary>
    private static (int Top, int Bottom) SlideEdges(int area, int w, int lanes, int span)
    {
        int top = Math.Min(span, (w + lanes - 1) / lanes * lanes);
        int bottom = area - w - lanes < 0 ? 0 : (((area - w - lanes) / lanes) + 1) * lanes;
        return (top, Math.Clamp(bottom, top, span));
    }

    /// <summary>
    /// One plane's outputs (divided when <paramref name="edges"/>, the forward; the backward's sums are
    /// not): the first <paramref name="whole"/> positions stored a whole vector at a time, the rest
    /// through the tail. With <paramref name="edges"/>, row 0 and row H − 1 are set aside by masks
    /// (the source need not hold zeros around the plane); without, the source's margins are zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SlidePlane<TOps, TF, TI>(in FlatAverageFrame<TOps, TF, TI> f, float* s, float* destination, int w, int area, int top, int bottom, int whole, bool includePad, bool edges)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        float* above = s - w, below = s + w;
        TF u0 = TOps.Load(above - lanes), u1 = TOps.Load(above);
        TF c0 = TOps.Load(s - lanes), c1 = TOps.Load(s);
        TF d0 = TOps.Load(below - lanes), d1 = TOps.Load(below);
        int i = 0;
        if (edges)
        {
            for (; i < top; i += lanes)
            {
                SlideStep(f, s, destination, w, area, i, whole, includePad, true, true, ref u0, ref u1, ref c0, ref c1, ref d0, ref d1);
            }
            for (; i < bottom; i += lanes)
            {
                SlideStep(f, s, destination, w, area, i, whole, includePad, false, true, ref u0, ref u1, ref c0, ref c1, ref d0, ref d1);
            }
            for (; i < f.Span; i += lanes)
            {
                SlideStep(f, s, destination, w, area, i, whole, includePad, true, true, ref u0, ref u1, ref c0, ref c1, ref d0, ref d1);
            }
            return;
        }
        for (; i < f.Span; i += lanes)
        {
            SlideStep(f, s, destination, w, area, i, whole, true, false, false, ref u0, ref u1, ref c0, ref c1, ref d0, ref d1);
        }
    }

    /// <summary>
    /// Positions i …: the next vector of each run loaded, the nine taps added in scan order from +0
    /// (a left tap in column 0, a right tap in column W − 1 as +0), with <paramref name="masked"/> the
    /// row-above sum +0 in row 0 and the row-below terms left out in row H − 1; divided when
    /// <paramref name="divide"/> (by 9 when <paramref name="includePad"/>, else by the window's real elements).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SlideStep<TOps, TF, TI>(in FlatAverageFrame<TOps, TF, TI> f, float* s, float* destination, int w, int area, int i, int whole,
        bool includePad, bool masked, bool divide, ref TF u0, ref TF u1, ref TF c0, ref TF c1, ref TF d0, ref TF d1)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF u2 = TOps.Load(s + i - w + lanes), c2 = TOps.Load(s + i + lanes), d2 = TOps.Load(s + i + w + lanes);
        TF notLeft = TOps.Load(f.NotLeft + i), notRight = TOps.Load(f.NotRight + i), zero = TOps.Zero;
        TF sum = TOps.Add(zero, TOps.Keep(notLeft, TOps.ShiftIn(u0, u1)));
        sum = TOps.Add(sum, u1);
        sum = TOps.Add(sum, TOps.Keep(notRight, TOps.ShiftOut(u1, u2)));
        if (masked)
        {
            sum = TOps.Keep(TOps.Load(f.NotTop + i), sum);
        }
        sum = TOps.Add(sum, TOps.Keep(notLeft, TOps.ShiftIn(c0, c1)));
        sum = TOps.Add(sum, c1);
        sum = TOps.Add(sum, TOps.Keep(notRight, TOps.ShiftOut(c1, c2)));
        TF withBelow = TOps.Add(sum, TOps.Keep(notLeft, TOps.ShiftIn(d0, d1)));
        withBelow = TOps.Add(withBelow, d1);
        withBelow = TOps.Add(withBelow, TOps.Keep(notRight, TOps.ShiftOut(d1, d2)));
        sum = masked ? TOps.Select(TOps.Load(f.NotBottom + i), withBelow, sum) : withBelow;
        if (divide)
        {
            sum = TOps.Divide(sum, includePad ? TOps.Splat(9f) : TOps.Load(f.Divisors + i));
        }
        if (i < whole)
        {
            TOps.Store(sum, destination + i);
        }
        else
        {
            StoreRow<TOps, TF, TI>(sum, destination + i, area - i, f.Tail);
        }
        u0 = u1;
        u1 = u2;
        c0 = c1;
        c1 = c2;
        d0 = d1;
        d1 = d2;
    }
}
