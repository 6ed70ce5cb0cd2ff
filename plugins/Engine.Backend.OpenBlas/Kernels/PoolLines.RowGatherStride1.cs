using System.Runtime.CompilerServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The 3×3 s1 p1 max backward from the kept taps for planes whose rows take two vectors (Inception's
/// 28×28 at 512 bits: W in (lanes, 2·lanes]) row by row: each output row's dy and taps are loaded once
/// and moved by a lane both ways in registers (<see cref="IPoolLanes{TF, TI}.ShiftIn"/>,
/// <see cref="IPoolLanes{TF, TI}.ShiftOut"/> and their index forms), so the outputs (ρ, c − 1), (ρ, c),
/// (ρ, c + 1) stand in lane c; each dx row then takes, in the flat gather's order, what the output row
/// above sends (taps 8, 7, 6), its own (5, 4, 3) and the row below's (2, 1, 0) by the flat gather's
/// masked adds (<see cref="FlatGatherFromArgMax{TOps, TF, TI}"/>, which loads eighteen unaligned vectors per
/// dx vector). So the same additions in the same order: the same bits (<c>PoolRowMaxStride1Tests</c>).
/// A row's second vector is done first, over all rows (its lanes past the row land on the next row's
/// first elements, which the first vectors' pass writes next). No masks, as in the flat gather: a kept
/// tap is a real element, so the next row's outputs in the second vector's lanes past the row never
/// name column W − 1 (a column-0 output's tap is never 0, 3 or 6), and what moves in from outside the
/// row is +0 (whatever tap comes with it: adding +0 changes nothing). Three rows of six vectors are
/// kept per pass.
/// <c>ENGINE_POOL_ROW_GATHER_S1=off</c> keeps the flat gather.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_ROW_GATHER_S1=off</c>.</summary>
    public static bool RowGatherStride1 { get; set; } = SwitchOn("ENGINE_POOL_ROW_GATHER_S1");

    /// <summary>Whether a 3×3 s1 p1 gather of this width goes row by row at this vector width: rows of more than one and at most two vectors.</summary>
    internal static bool TakesRowGatherStride1(int width, int lanes) => RowGatherStride1 && width > lanes && width <= 2 * lanes;

    /// <summary>One plane's dx (read up to the last row + two vectors), the first <paramref name="remaining"/> elements from the plane's first being the part's: second vectors, then first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowGatherStride1Plane<TOps, TF, TI>(float* dy, byte* taps, float* dx, int h, int w, long remaining, float* tail)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        RowGatherHalf<TOps, TF, TI>(dy, taps, dx, h, w, remaining, tail, second: true);
        RowGatherHalf<TOps, TF, TI>(dy, taps, dx, h, w, remaining, tail, second: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowGatherHalf<TOps, TF, TI>(float* dy, byte* taps, float* dx, int h, int w, long remaining, float* tail, bool second)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        RowOutputs<TOps, TF, TI>(dy, taps, second, out TF left, out TF centre, out TF right, out TI leftTap, out TI centreTap, out TI rightTap);
        TF aboveLeft = TOps.Zero, above = aboveLeft, aboveRight = aboveLeft;
        TI aboveLeftTap = TOps.SplatIndex(0), aboveTap = aboveLeftTap, aboveRightTap = aboveLeftTap;
        for (int r = 0; r < h; r++)
        {
            bool last = r + 1 == h;
            TF sum = TOps.Zero;
            if (r > 0)
            {
                sum = Sent<TOps, TF, TI>(sum, aboveLeftTap, 8, aboveLeft);
                sum = Sent<TOps, TF, TI>(sum, aboveTap, 7, above);
                sum = Sent<TOps, TF, TI>(sum, aboveRightTap, 6, aboveRight);
            }
            sum = Sent<TOps, TF, TI>(sum, leftTap, 5, left);
            sum = Sent<TOps, TF, TI>(sum, centreTap, 4, centre);
            sum = Sent<TOps, TF, TI>(sum, rightTap, 3, right);
            TF belowLeft = TOps.Zero, below = belowLeft, belowRight = belowLeft;
            TI belowLeftTap = TOps.SplatIndex(0), belowTap = belowLeftTap, belowRightTap = belowLeftTap;
            if (!last)
            {
                RowOutputs<TOps, TF, TI>(dy + ((r + 1) * w), taps + ((r + 1) * w), second,
                    out belowLeft, out below, out belowRight, out belowLeftTap, out belowTap, out belowRightTap);
                sum = Sent<TOps, TF, TI>(sum, belowLeftTap, 2, belowLeft);
                sum = Sent<TOps, TF, TI>(sum, belowTap, 1, below);
                sum = Sent<TOps, TF, TI>(sum, belowRightTap, 0, belowRight);
            }
            float* dr = dx + (r * w);
            if (second)
            {
                long left2 = remaining - ((long)r * w);
                StoreRow<TOps, TF, TI>(sum, dr + lanes, left2 >= 2 * lanes ? lanes : (int)(left2 - lanes), tail);
            }
            else
            {
                TOps.Store(sum, dr);
            }
            (aboveLeft, above, aboveRight, aboveLeftTap, aboveTap, aboveRightTap) = (left, centre, right, leftTap, centreTap, rightTap);
            (left, centre, right, leftTap, centreTap, rightTap) = (belowLeft, below, belowRight, belowLeftTap, belowTap, belowRightTap);
        }
    }

    /// <summary>
    /// One output row's dy and taps at columns c − 1, c, c + 1 in lane c of its first (second) vector;
    /// +0 moves in at column 0's left and past the second vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowOutputs<TOps, TF, TI>(float* dy, byte* taps, bool second,
        out TF left, out TF centre, out TF right, out TI leftTap, out TI centreTap, out TI rightTap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF a = TOps.Load(dy), b = TOps.Load(dy + lanes);
        TI tapA = TOps.LoadBytes(taps), tapB = TOps.LoadBytes(taps + lanes);
        if (second)
        {
            left = TOps.ShiftIn(a, b);
            centre = b;
            right = TOps.ShiftOut(b, TOps.Zero);
            leftTap = TOps.ShiftInIndex(tapA, tapB);
            centreTap = tapB;
            rightTap = TOps.ShiftOutIndex(tapB, tapB);
            return;
        }
        left = TOps.ShiftIn(TOps.Zero, a);
        centre = a;
        right = TOps.ShiftOut(a, b);
        leftTap = TOps.ShiftInIndex(tapA, tapA);
        centreTap = tapA;
        rightTap = TOps.ShiftOutIndex(tapA, tapB);
    }
}
