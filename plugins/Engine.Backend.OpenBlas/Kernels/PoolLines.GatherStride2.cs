using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// 3×3 stride-2 pad-1 max pooling backward from the kept taps (ResNet's stem pool) on even planes,
/// a vector gather by phase instead of the scalar scatter. Input (2a + r, 2b + c) lies in the
/// windows of outputs (a, b) and, for an odd row or column, (a + 1, b), (a, b + 1), (a + 1, b + 1):
/// <list type="bullet">
/// <item>(2a, 2b): dy(a, b) where its tap is 4;</item>
/// <item>(2a, 2b + 1): dy(a, b) at tap 5, then dy(a, b + 1) at tap 3;</item>
/// <item>(2a + 1, 2b): dy(a, b) at tap 7, then dy(a + 1, b) at tap 1;</item>
/// <item>(2a + 1, 2b + 1): dy(a, b) at 8, dy(a, b + 1) at 6, dy(a + 1, b) at 2, dy(a + 1, b + 1) at 0,</item>
/// </list>
/// each a chain of masked adds from +0 in output scan order: the plain path's additions in its order
/// (a skipped one adds nothing; the sum is never −0), so dx is the same bits, written once, never
/// cleared or read. An output past the right edge is in column 0 of the next row, whose kept tap is
/// never a left-column one (that column is padding there), and past the bottom the copies hold tap
/// 0xFF; so no masks. Two output rows of dx come from one output row: the even and odd phases interleaved.
/// Taken with <c>ENGINE_POOL_ARGMAX_GATHER</c> (off: the scalar scatter).
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>Backward from the kept taps by phase, at one width (3×3 s2 p1 on an even plane; dx of planes [first, end) overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GatherStride2FromArgMax<TOps, TF, TI>(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes, w = p.OutW, outputs = p.OutH * p.OutW, inPlane = p.InH * p.InW;
        // dy and the taps of one plane, then +0 and 0xFF for the loads one output row (and one) past.
        int padded = outputs + w + (2 * lanes);
        float* sends = Scratch(ref t_floats, padded + (2 * lanes));
        float* tail = sends + padded;
        byte* won = ScratchBytes(ref t_bytes, padded);
        new Span<float>(sends + outputs, padded - outputs).Clear();
        new Span<byte>(won + outputs, padded - outputs).Fill(0xFF);
        bool stream = StreamsDx(p, dx);
        for (long n = (long)first * p.InD, planeEnd = (long)end * p.InD; n < planeEnd; n++)
        {
            new ReadOnlySpan<float>(dy + (n * outputs), outputs).CopyTo(new Span<float>(sends, outputs));
            new ReadOnlySpan<byte>(argMax + (n * outputs), outputs).CopyTo(new Span<byte>(won, outputs));
            float* dxp = dx + (n * inPlane);
            for (int a = 0; a < p.OutH; a++)
            {
                float* upper = dxp + ((long)2 * a * p.InW), lower = upper + p.InW;
                for (int v = 0; v < w; v += lanes)
                {
                    // The row's last vector overlaps the one before it (the same values again) where it can.
                    int b = v + lanes > w && w >= lanes ? w - lanes : v;
                    int o = (a * w) + b;
                    TF here = TOps.Load(sends + o), right = TOps.Load(sends + o + 1), below = TOps.Load(sends + o + w), diagonal = TOps.Load(sends + o + w + 1);
                    TI tapHere = TOps.LoadBytes(won + o), tapRight = TOps.LoadBytes(won + o + 1);
                    TI tapBelow = TOps.LoadBytes(won + o + w), tapDiagonal = TOps.LoadBytes(won + o + w + 1);
                    TF zero = TOps.Zero;
                    TF evenEven = Sent<TOps, TF, TI>(zero, tapHere, 4, here);
                    TF evenOdd = Sent<TOps, TF, TI>(Sent<TOps, TF, TI>(zero, tapHere, 5, here), tapRight, 3, right);
                    TF oddEven = Sent<TOps, TF, TI>(Sent<TOps, TF, TI>(zero, tapHere, 7, here), tapBelow, 1, below);
                    TF oddOdd = Sent<TOps, TF, TI>(Sent<TOps, TF, TI>(Sent<TOps, TF, TI>(Sent<TOps, TF, TI>(zero, tapHere, 8, here),
                        tapRight, 6, right), tapBelow, 2, below), tapDiagonal, 0, diagonal);
                    int count = 2 * (w - b);
                    StoreInterleaved<TOps, TF, TI>(evenEven, evenOdd, upper + (2 * b), count, tail, stream);
                    StoreInterleaved<TOps, TF, TI>(oddEven, oddOdd, lower + (2 * b), count, tail, stream);
                }
            }
        }
        if (stream)
        {
            StoreFence();
        }
    }

    /// <summary><paramref name="sum"/> + <paramref name="dy"/> in the lanes whose kept tap is <paramref name="tap"/>, else <paramref name="sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF Sent<TOps, TF, TI>(TF sum, TI taps, int tap, TF dy)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct =>
        TOps.Select(TOps.IndexEqual(taps, TOps.SplatIndex(tap)), TOps.Add(sum, dy), sum);

}
