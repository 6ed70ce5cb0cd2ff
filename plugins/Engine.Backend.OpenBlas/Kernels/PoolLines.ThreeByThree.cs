using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Max pooling forward keeping its arg-max, specialised for 3×3 windows (ResNet's 3×3 s2 p1 stem,
/// Inception's 3×3 s1 p1): the same two stages as <see cref="ForwardKeepingArgMax{TOps, TF, TI}"/>
/// (each line's first maximum over its three columns, then the first maximum of three rows of those),
/// written out tap by tap with the tap constants in registers, where the general path loops over
/// KW taps and KH rows with a null test and a tap-offset load per tap. Same comparisons in the same
/// order, so the same value and the same tap bit for bit (<c>PoolArgMaxTests</c> run both).
/// <c>ENGINE_POOL_3X3=off</c> sends 3×3 windows back to the general loops.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_3X3=off</c>.</summary>
    public static bool ThreeByThree { get; set; } = Environment.GetEnvironmentVariable("ENGINE_POOL_3X3") is not ("off" or "0" or "false");

    /// <summary>Whether the arg-max forward of this plan takes the 3×3 code (the plan already fits <see cref="PoolLines"/>).</summary>
    internal static bool TakesThreeByThree(in PoolPlan p) => ThreeByThree && p.KH == 3 && p.KW == 3;

    /// <summary>Forward keeping the taps of a 3×3 window, at one width (tests run every width against the plain path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardKeepingArgMax3x3<TOps, TF, TI>(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        var g = new PoolLineGeometry(p, TOps.Lanes);
        int lanes = TOps.Lanes, stride = g.RowStride, outW = p.OutW;
        float* line = Scratch(ref t_floats, g.LineStride + (p.InH * stride) + (2 * lanes));
        float* rowMax = line + g.LineStride;
        float* tail = rowMax + (p.InH * stride);
        int* rowTap = ScratchInts(ref t_ints, (p.InH * stride) + lanes);
        int* tapTail = rowTap + (p.InH * stride);
        int* taps = stackalloc int[MaxWindow];
        g.TapOffsets(p, taps);
        float* t0 = line + taps[0], t1 = line + taps[1], t2 = line + taps[2];
        int* firstReal = stackalloc int[2 * Vector512<int>.Count];
        PoolLineGeometry.FirstRealTaps(p, firstReal, MaxWindow + lanes);
        // Output columns below this one have left padding in their window (v·SW < PW): the all-−∞ fix-up.
        int padded = (p.PW + p.SW - 1) / p.SW;
        TI zero = TOps.SplatIndex(0), one = TOps.SplatIndex(1), two = TOps.SplatIndex(2);
        TF negativeInfinity = TOps.Splat(float.NegativeInfinity);
        for (long plane = (long)first * p.InD, planeEnd = (long)end * p.InD; plane < planeEnd; plane++)
        {
            float* xp = x + (plane * p.InH * p.InW), yp = y + (plane * p.OutH * outW);
            byte* ap = argMax + (plane * p.OutH * outW);
            for (int h = 0; h < p.InH; h++)
            {
                FillLine<TOps, TF, TI>(g, p, xp + ((long)h * p.InW), line, float.NegativeInfinity);
                float* maxOut = rowMax + ((long)h * stride);
                int* tapOut = rowTap + ((long)h * stride);
                for (int v = 0; v < outW; v += lanes)
                {
                    TF best = TOps.Load(t0 + v), candidate = TOps.Load(t1 + v);
                    TF wins = TOps.Beats(candidate, best);
                    best = TOps.Select(wins, candidate, best);
                    TI tap = TOps.SelectIndex(wins, one, zero);
                    candidate = TOps.Load(t2 + v);
                    wins = TOps.Beats(candidate, best);
                    best = TOps.Select(wins, candidate, best);
                    tap = TOps.SelectIndex(wins, two, tap);
                    if (v < padded)
                    {
                        // As ColumnMaxima: a window whose real elements are all −∞ takes its first real one.
                        tap = TOps.SelectIndex(TOps.Equal(best, negativeInfinity), TOps.LoadIndex(firstReal + v), tap);
                    }
                    TOps.Store(best, maxOut + v);
                    TOps.StoreIndex(tap, tapOut + v);
                }
            }
            for (int oh = 0; oh < p.OutH; oh++)
            {
                (int h0, int h1) = PoolingKernels.Taps(oh, p.SH, p.PH, 3, 1, p.InH);
                float* yr = yp + ((long)oh * outW);
                byte* ar = ap + ((long)oh * outW);
                bool spills = SpillsAllowed<TOps, TF, TI>(p, plane, planeEnd, oh);
                if (h1 - h0 < 3)
                {
                    // A window cut by the padding above or below: the general row stage.
                    for (int v = 0; v < outW; v += lanes)
                    {
                        TI cut = WindowArgMax<TOps, TF, TI>(p, g, rowMax, rowTap, oh, h0, h1, v, out TF edgeBest);
                        StoreWindow<TOps, TF, TI>(edgeBest, cut, yr + v, ar + v, spills ? lanes : outW - v, tail, tapTail);
                    }
                    continue;
                }
                float* m0 = rowMax + ((long)h0 * stride);
                int* i0 = rowTap + ((long)h0 * stride);
                for (int v = 0; v < outW; v += lanes)
                {
                    TF best = TOps.Load(m0 + v), candidate = TOps.Load(m0 + stride + v);
                    TI tap = TOps.LoadIndex(i0 + v);
                    TF wins = TOps.Beats(candidate, best);
                    best = TOps.Select(wins, candidate, best);
                    tap = TOps.SelectIndex(wins, TOps.Shift(TOps.LoadIndex(i0 + stride + v), 3), tap);
                    candidate = TOps.Load(m0 + (2 * stride) + v);
                    wins = TOps.Beats(candidate, best);
                    best = TOps.Select(wins, candidate, best);
                    tap = TOps.SelectIndex(wins, TOps.Shift(TOps.LoadIndex(i0 + (2 * stride) + v), 6), tap);
                    StoreWindow<TOps, TF, TI>(best, tap, yr + v, ar + v, spills ? lanes : outW - v, tail, tapTail);
                }
            }
        }
    }
}
