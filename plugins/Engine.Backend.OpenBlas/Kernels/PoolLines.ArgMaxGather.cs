using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Max pooling backward from the kept taps as a vector gather, for column stride 1 (Inception's
/// 3×3 s1 p1): each dx vector is the sum, in output scan order, of dy of the outputs whose window
/// holds it and whose kept tap names it (output rows rising; within a row, output column w + PW − tw
/// for tw falling, so columns rising), a masked add per tap instead of one scalar read-add-write per
/// output. The scalar scatter's stores hit the same element again and again where neighbouring
/// windows share their maximum, each add waiting for the last store. The additions are the plain
/// path's in its order and a skipped one adds nothing (the sum starts at +0 and never becomes −0),
/// so dx is the same bits; dx is written once, never cleared or read.
/// <c>ENGINE_POOL_ARGMAX_GATHER=off</c> keeps the scalar scatter.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_ARGMAX_GATHER=off</c>.</summary>
    public static bool GathersArgMax { get; set; } = SwitchOn("ENGINE_POOL_ARGMAX_GATHER");

    [ThreadStatic] private static byte[]? t_bytes;

    /// <summary>Whether the backward from kept taps of this plan gathers (column stride 1).</summary>
    internal static bool GathersFromArgMax(in PoolPlan p) => GathersArgMax && p.SW == 1;

    /// <summary>Backward from the kept taps, gathered, at one width (column stride 1; dx of planes [first, end) overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GatherFromArgMax<TOps, TF, TI>(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, pad = p.KW;
        // Output rows with KW slots before and room after for the last vector's reach; the taps of
        // slots that are no output are 0xFF, which no tap (below 64) equals.
        int outStride = (pad + Math.Max((p.InW + lanes - 1) / lanes * lanes, p.OutW) + pad + (2 * lanes) + lanes - 1) / lanes * lanes;
        float* sends = Scratch(ref t_floats, (p.OutH * outStride) + lanes);
        float* tail = sends + ((long)p.OutH * outStride);
        byte* won = ScratchBytes(ref t_bytes, p.OutH * outStride);
        new Span<float>(sends, p.OutH * outStride).Clear();
        new Span<byte>(won, p.OutH * outStride).Fill(0xFF);
        int inPlane = p.InH * p.InW, outPlane = p.OutH * p.OutW;
        for (long plane = (long)first * p.InD, planeEnd = (long)end * p.InD; plane < planeEnd; plane++)
        {
            float* dxp = dx + (plane * inPlane), dyp = dy + (plane * outPlane);
            byte* ap = argMax + (plane * outPlane);
            for (int oh = 0; oh < p.OutH; oh++)
            {
                new ReadOnlySpan<float>(dyp + ((long)oh * p.OutW), p.OutW).CopyTo(new Span<float>(sends + ((long)oh * outStride) + pad, p.OutW));
                new ReadOnlySpan<byte>(ap + ((long)oh * p.OutW), p.OutW).CopyTo(new Span<byte>(won + ((long)oh * outStride) + pad, p.OutW));
            }
            for (int h = 0; h < p.InH; h++)
            {
                // The output rows whose window holds row h, in order: h = oh·SH − PH + th, 0 ≤ th < KH.
                int ohFirst = Math.Max(0, (h + p.PH - p.KH + p.SH) / p.SH), ohEnd = Math.Min(p.OutH, ((h + p.PH) / p.SH) + 1);
                float* dxr = dxp + ((long)h * p.InW);
                for (int v = 0; v < p.InW; v += lanes)
                {
                    TF sum = TOps.Zero;
                    for (int oh = ohFirst; oh < ohEnd; oh++)
                    {
                        int th = h - ((oh * p.SH) - p.PH);
                        long at = ((long)oh * outStride) + pad + v + p.PW; // output column v + PW − tw is at − tw
                        for (int tw = p.KW - 1; tw >= 0; tw--)
                        {
                            TF mine = TOps.IndexEqual(TOps.LoadBytes(won + at - tw), TOps.SplatIndex((th * p.KW) + tw));
                            sum = TOps.Select(mine, TOps.Add(sum, TOps.Load(sends + at - tw)), sum);
                        }
                    }
                    StoreRow<TOps, TF, TI>(sum, dxr + v, p.InW - v, tail);
                }
            }
        }
    }

    private static byte* ScratchBytes(ref byte[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        }
        return (byte*)Unsafe.AsPointer(ref buffer[0]);
    }
}
