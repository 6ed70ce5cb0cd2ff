using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// 3×3 s1 p1 max pooling backward from the kept taps on flat planes (Inception's pool): a plane is
/// one run of H·W floats and dx(i) is the sum of dy(o) over the nine outputs o = i − W − 1 … i + W + 1
/// whose kept tap names i (tap 8 for o = i − W − 1 down to tap 0 for o = i + W + 1), added in that
/// order, which is output scan order, from +0: the scatter's additions in its order (a skipped one adds
/// nothing; the sum is never −0), so dx is the same bits, written once. No masks: a kept tap is a real
/// element, so an output in the row before or after (across a row's end, or another plane) never names
/// i through a tap whose flat offset would wrap there. So dy and the taps are read where they lie;
/// only the first and last planes of the tensor, whose neighbours are outside it, are copied into a
/// buffer with +0 and tap 0xFF around them. The row gather (<see cref="GatherFromArgMax{TOps, TF, TI}"/>)
/// copies every output row into a padded row and pays two 16-lane vectors, four lanes idle, per 28-wide row.
/// <c>ENGINE_POOL_FLAT_GATHER=off</c> keeps the row gather.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_FLAT_GATHER=off</c>.</summary>
    public static bool FlatGather { get; set; } = SwitchOn("ENGINE_POOL_FLAT_GATHER");

    [ThreadStatic] private static float[]? t_flatSends;
    [ThreadStatic] private static byte[]? t_flatWon;

    /// <summary>Whether the backward from kept taps of this plan gathers on flat planes: 3×3 s1 p1, output the input's size.</summary>
    internal static bool TakesFlatGather(in PoolPlan p) => FlatGather && IsThreeByThreeSame(p);

    /// <summary>Backward from the kept taps on flat planes, at one width (dx of planes [first, end) overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FlatGatherFromArgMax<TOps, TF, TI>(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.InW, area = p.InH * p.InW;
        int span = (area + lanes - 1) / lanes * lanes, margin = w + 1 + lanes;
        long total = (long)p.Planes * p.InD * area;
        // The copy for the tensor's first and last planes: +0 and no tap (0xFF) around the plane.
        float* copy = Scratch(ref t_flatSends, span + (2 * margin) + lanes) + margin;
        float* tail = copy + span + margin;
        byte* copyWon = ScratchBytes(ref t_flatWon, span + (2 * margin)) + margin;
        new Span<float>(copy - margin, span + (2 * margin)).Clear();
        new Span<byte>(copyWon - margin, span + (2 * margin)).Fill(0xFF);
        bool rows = TakesRowGatherStride1(w, lanes);
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            long start = n * area;
            float* sends = dy + start;
            byte* won = argMax + start;
            if (rows)
            {
                // Row by row: the last row's second vectors read up to two vectors past its start.
                if (start + area - w + (2 * lanes) > total)
                {
                    new ReadOnlySpan<float>(sends, area).CopyTo(new Span<float>(copy, area));
                    new ReadOnlySpan<byte>(won, area).CopyTo(new Span<byte>(copyWon, area));
                    sends = copy;
                    won = copyWon;
                }
                RowGatherStride1Plane<TOps, TF, TI>(sends, won, dx + start, p.InH, w, (planeEnd - n) * area, tail);
                continue;
            }
            if (start < margin || start + span + margin > total)
            {
                new ReadOnlySpan<float>(sends, area).CopyTo(new Span<float>(copy, area));
                new ReadOnlySpan<byte>(won, area).CopyTo(new Span<byte>(copyWon, area));
                sends = copy;
                won = copyWon;
            }
            float* dxp = dx + start;
            for (int i = 0, whole = WholeVectors((planeEnd - n) * area, span, lanes); i < span; i += lanes)
            {
                // The tap constants inline (embedded broadcasts): kept in registers across the
                // copies' calls they would be spilled and reloaded every vector.
                TF sum = TOps.Zero;
                float* s = sends + i;
                byte* t = won + i;
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t - w - 1), 8, TOps.Load(s - w - 1));
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t - w), 7, TOps.Load(s - w));
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t - w + 1), 6, TOps.Load(s - w + 1));
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t - 1), 5, TOps.Load(s - 1));
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t), 4, TOps.Load(s));
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t + 1), 3, TOps.Load(s + 1));
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t + w - 1), 2, TOps.Load(s + w - 1));
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t + w), 1, TOps.Load(s + w));
                sum = Sent<TOps, TF, TI>(sum, TOps.LoadBytes(t + w + 1), 0, TOps.Load(s + w + 1));
                // A whole vector may run into the next planes' dx, which this part writes next.
                StoreRow<TOps, TF, TI>(sum, dxp + i, i < whole ? lanes : area - i, tail);
            }
        }
    }
}
