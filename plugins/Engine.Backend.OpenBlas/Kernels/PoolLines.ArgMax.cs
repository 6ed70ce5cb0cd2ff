using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Max pooling that keeps its arg-max for training: the forward pass stores, per output, which tap
/// of its window (row · KW + column, one byte; windows are at most 8×8) held the first maximum, and
/// the backward pass adds each dy where its byte points instead of finding every window's maximum
/// again from x (the column and row stages, about two thirds of the recomputing backward's time).
/// The taps are the ones the recomputing backward finds (same code), so dx is bit-for-bit the plain path's.
/// <c>ENGINE_POOL_ARGMAX=off</c> keeps no arg-max (the backward recomputes it).
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_ARGMAX=off</c>.</summary>
    public static bool KeepsArgMax { get; set; } = Environment.GetEnvironmentVariable("ENGINE_POOL_ARGMAX") is not ("off" or "0" or "false");

    /// <summary>Bytes of arg-max a training forward of this plan keeps (one per output), 0 when it keeps none.</summary>
    public static long ArgMaxBytes(in PoolPlan p, bool max) =>
        max && KeepsArgMax && Takes(p) ? (long)p.Planes * p.OutVolume : 0;

    /// <summary>Planes [first, end) of max pooling forward, each output's window tap kept in <paramref name="argMax"/> (one byte per output).</summary>
    public static void ForwardKeepingArgMax(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end)
    {
        if (TakesFlat(p))
        {
            switch (Width(p))
            {
                case 512: FlatForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(p, x, y, argMax, first, end); return;
                case 256: FlatForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>(p, x, y, argMax, first, end); return;
                default: FlatForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>(p, x, y, argMax, first, end); return;
            }
        }
        if (TakesRowMaxStride2(p))
        {
            switch (Width(p))
            {
                case 512: RowMaxStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(p, x, y, argMax, first, end); return;
                case 256: RowMaxStride2ForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>(p, x, y, argMax, first, end); return;
                default: RowMaxStride2ForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>(p, x, y, argMax, first, end); return;
            }
        }
        if (TakesFlatStride2(p))
        {
            switch (Width(p))
            {
                case 512: FlatStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(p, x, y, argMax, first, end); return;
                case 256: FlatStride2ForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>(p, x, y, argMax, first, end); return;
                default: FlatStride2ForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>(p, x, y, argMax, first, end); return;
            }
        }
        switch (Width(p))
        {
            case 512: ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(p, x, y, argMax, first, end); break;
            case 256: ForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>(p, x, y, argMax, first, end); break;
            default: ForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>(p, x, y, argMax, first, end); break;
        }
    }

    /// <summary>Forward keeping the taps, at one width (tests run every width against the plain path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardKeepingArgMax<TOps, TF, TI>(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        var g = new PoolLineGeometry(p, TOps.Lanes);
        int lanes = TOps.Lanes;
        float* line = Scratch(ref t_floats, g.LineStride + (p.InH * g.RowStride) + (2 * lanes));
        float* rowMax = line + g.LineStride;
        float* tail = rowMax + (p.InH * g.RowStride);
        int* rowTap = ScratchInts(ref t_ints, (p.InH * g.RowStride) + lanes);
        int* tapTail = rowTap + (p.InH * g.RowStride);
        int* taps = stackalloc int[MaxWindow];
        g.TapOffsets(p, taps);
        int* firstReal = stackalloc int[2 * Vector512<int>.Count];
        PoolLineGeometry.FirstRealTaps(p, firstReal, MaxWindow + lanes);
        for (long plane = (long)first * p.InD, planeEnd = (long)end * p.InD; plane < planeEnd; plane++)
        {
            float* xp = x + (plane * p.InH * p.InW), yp = y + (plane * p.OutH * p.OutW);
            byte* ap = argMax + (plane * p.OutH * p.OutW);
            ColumnStage<TOps, TF, TI>(p, g, xp, line, taps, rowMax, rowTap, firstReal);
            for (int oh = 0; oh < p.OutH; oh++)
            {
                (int h0, int h1) = PoolingKernels.Taps(oh, p.SH, p.PH, p.KH, 1, p.InH);
                float* yr = yp + ((long)oh * p.OutW);
                byte* ar = ap + ((long)oh * p.OutW);
                bool spills = SpillsAllowed<TOps, TF, TI>(p, plane, planeEnd, oh);
                for (int v = 0; v < p.OutW; v += lanes)
                {
                    TI tap = WindowArgMax<TOps, TF, TI>(p, g, rowMax, rowTap, oh, h0, h1, v, out TF best);
                    StoreWindow<TOps, TF, TI>(best, tap, yr + v, ar + v, spills ? lanes : p.OutW - v, tail, tapTail);
                }
            }
        }
    }

    /// <summary>
    /// Stores a vector of window maxima and their taps, the first <paramref name="count"/> of them
    /// (all lanes when <paramref name="count"/> ≥ a vector: outputs that may spill into the ones after them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreWindow<TOps, TF, TI>(TF best, TI tap, float* yr, byte* ar, int count, float* tail, int* tapTail)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        if (count >= TOps.Lanes)
        {
            TOps.Store(best, yr);
            TOps.StoreBytes(tap, ar);
            return;
        }
        // The part's last few outputs: what follows belongs to another part, or is past the end.
        StoreRow<TOps, TF, TI>(best, yr, count, tail);
        TOps.StoreIndex(tap, tapTail);
        for (int i = 0; i < count; i++)
        {
            ar[i] = (byte)tapTail[i];
        }
    }

    /// <summary>
    /// Planes [first, end) of max pooling backward from the kept taps (dx of those planes
    /// overwritten), the plain path's additions in the plain path's order: gathered on flat planes for
    /// 3×3 s1 p1 (<see cref="FlatGatherFromArgMax{TOps, TF, TI}"/>), by phase for 3×3
    /// s2 p1 on even planes (<see cref="GatherStride2FromArgMax{TOps, TF, TI}"/>), gathered along the
    /// row for column stride 1 (<see cref="GatherFromArgMax{TOps, TF, TI}"/>), else the scalar scatter,
    /// which was already faster than the recomputing vector gather <see cref="Backward"/> runs (9.4–9.6
    /// against 11.5–14.3 ms on 3×3 s1, 9.2 against 7.5–9.9 on 3×3 s2, loaded machine).
    /// </summary>
    public static void BackwardFromArgMax(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end)
    {
        if (TakesFlatGather(p))
        {
            switch (Width(p))
            {
                case 512: FlatGatherFromArgMax<Pool512, Vector512<float>, Vector512<int>>(p, argMax, dy, dx, first, end); return;
                case 256: FlatGatherFromArgMax<Pool256, Vector256<float>, Vector256<int>>(p, argMax, dy, dx, first, end); return;
                default: FlatGatherFromArgMax<Pool128, Vector128<float>, Vector128<int>>(p, argMax, dy, dx, first, end); return;
            }
        }
        if (GathersArgMax && IsStride2Even(p))
        {
            switch (Width(p))
            {
                case 512: GatherStride2FromArgMax<Pool512, Vector512<float>, Vector512<int>>(p, argMax, dy, dx, first, end); return;
                case 256: GatherStride2FromArgMax<Pool256, Vector256<float>, Vector256<int>>(p, argMax, dy, dx, first, end); return;
                default: GatherStride2FromArgMax<Pool128, Vector128<float>, Vector128<int>>(p, argMax, dy, dx, first, end); return;
            }
        }
        if (GathersFromArgMax(p))
        {
            switch (Width(p))
            {
                case 512: GatherFromArgMax<Pool512, Vector512<float>, Vector512<int>>(p, argMax, dy, dx, first, end); return;
                case 256: GatherFromArgMax<Pool256, Vector256<float>, Vector256<int>>(p, argMax, dy, dx, first, end); return;
                default: GatherFromArgMax<Pool128, Vector128<float>, Vector128<int>>(p, argMax, dy, dx, first, end); return;
            }
        }
        ScatterFromArgMax(p, argMax, dy, dx, first, end);
    }

    /// <summary>The scalar scatter from the kept taps (column stride 2 but 3×3 s2 p1 on even planes, and <c>ENGINE_POOL_ARGMAX_GATHER=off</c>).</summary>
    internal static void ScatterFromArgMax(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end)
    {
        int* tapOffset = stackalloc int[MaxWindow * MaxWindow];
        for (int th = 0; th < p.KH; th++)
        {
            for (int tw = 0; tw < p.KW; tw++)
            {
                tapOffset[(th * p.KW) + tw] = (th * p.InW) + tw;
            }
        }
        int inPlane = p.InH * p.InW, outPlane = p.OutH * p.OutW;
        for (long plane = (long)first * p.InD, planeEnd = (long)end * p.InD; plane < planeEnd; plane++)
        {
            float* dxp = dx + (plane * inPlane), dyp = dy + (plane * outPlane);
            byte* ap = argMax + (plane * outPlane);
            new Span<float>(dxp, inPlane).Clear();
            for (int oh = 0, o = 0; oh < p.OutH; oh++)
            {
                // The window's top-left corner (in the padding when negative); its kept tap is a real element.
                float* corner = dxp + ((((long)oh * p.SH) - p.PH) * p.InW) - p.PW;
                for (int ow = 0; ow < p.OutW; ow++, o++)
                {
                    corner[((long)ow * p.SW) + tapOffset[ap[o]]] += dyp[o];
                }
            }
        }
    }
}
