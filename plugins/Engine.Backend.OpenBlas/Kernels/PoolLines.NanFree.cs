using System.Runtime.CompilerServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The stages of the flat 3×3 max forwards (s1 p1 on planes, s2 p1 on phases) for a plane that holds
/// no NaN. There <see cref="IPoolLanes{TF, TI}.Beats"/> (greater, or a NaN over a number: five
/// operations) is a plain greater-than (one), and the padding needs no masks where the buffers'
/// margins stand in for it: the row above row 0 is −∞ with the tap its window takes when all its
/// real elements are −∞ (3 + the first real column), the row below the last −∞. Column 0 starts from
/// the centre (tap 1), whose comparison with itself never wins, so a left neighbour that is padding
/// never counts and an all −∞ window keeps its first real tap, as the plain path. The comparisons
/// are otherwise the NaN-aware stages', in their order: the same values and taps bit for bit
/// (<c>PoolNanFreeTests</c>). Whether a plane holds a NaN is seen on the way (a compare and a select
/// per loaded vector); a plane that does is done again by the NaN-aware stages.
/// <c>ENGINE_POOL_NAN_FREE=off</c> keeps the NaN-aware stages for every plane.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_NAN_FREE=off</c>.</summary>
    public static bool NanFree { get; set; } = SwitchOn("ENGINE_POOL_NAN_FREE");

    /// <summary>
    /// The column stage of a NaN-free 3×3 s1 plane: each position's first maximum over its left,
    /// centre and right neighbours (column 0 from the centre, column W − 1 without its right) and its
    /// tap 0–2. Returns false, having written garbage, when the plane holds a NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NanFreeColumnStage<TOps, TF, TI>(float* plane, float* left, float* right, int span, float* columnMax, int* columnTap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        TF seen = TOps.Zero;
        for (int i = 0; i < span; i += lanes)
        {
            // Constants inline: hoisted into registers they would be spilled around the plane copy's call.
            TI one = TOps.SplatIndex(1);
            TF isLeft = TOps.Load(left + i), centre = TOps.Load(plane + i);
            seen = TOps.Select(TOps.Equal(centre, centre), seen, centre);
            TF best = TOps.Select(isLeft, centre, TOps.Load(plane + i - 1));
            TI tap = TOps.SelectIndex(TOps.Greater(centre, best), one, TOps.SelectIndex(isLeft, one, TOps.SplatIndex(0)));
            best = TOps.Max(centre, best);
            TF candidate = TOps.Select(TOps.Load(right + i), TOps.Splat(float.NegativeInfinity), TOps.Load(plane + i + 1));
            tap = TOps.SelectIndex(TOps.Greater(candidate, best), TOps.SplatIndex(2), tap);
            best = TOps.Max(candidate, best);
            TOps.Store(best, columnMax + i);
            TOps.StoreIndex(tap, columnTap + i);
        }
        return TOps.AllNumbers(seen);
    }

    /// <summary>
    /// The first maximum over the column maxima of the rows above (<paramref name="above"/>), at
    /// (<paramref name="at"/>) and below (<paramref name="below"/>) positions i …, and its tap
    /// (row · 3 + column), with no NaN among them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF NanFreeRows<TOps, TF, TI>(TF above, TI aboveTap, TF at, TI atTap, TF below, TI belowTap, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        // The value by a max (a tie keeps the first) beside the comparison the tap needs.
        TF best = TOps.Max(at, above);
        tap = TOps.SelectIndex(TOps.Greater(at, above), TOps.Shift(atTap, 3), aboveTap);
        tap = TOps.SelectIndex(TOps.Greater(below, best), TOps.Shift(belowTap, 6), tap);
        return TOps.Max(below, best);
    }

    /// <summary><see cref="NanFreeRows{TOps, TF, TI}"/> over a flat plane's column maxima at positions i …, rows W apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF NanFreeRowsAt<TOps, TF, TI>(float* columnMax, int* columnTap, int i, int w, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct =>
        NanFreeRows<TOps, TF, TI>(TOps.Load(columnMax + i - w), TOps.LoadIndex(columnTap + i - w), TOps.Load(columnMax + i),
            TOps.LoadIndex(columnTap + i), TOps.Load(columnMax + i + w), TOps.LoadIndex(columnTap + i + w), out tap);

    /// <summary>
    /// How many of a plane's first positions (whole vectors, at most <paramref name="span"/>) may be
    /// stored a whole vector at a time when <paramref name="remaining"/> outputs of the part are left
    /// from the plane's first on: lanes past the plane land on the next planes' outputs, written later.
    /// </summary>
    private static int WholeVectors(long remaining, int span, int lanes) => (int)Math.Min(span, remaining / lanes * lanes);

    /// <summary>
    /// <see cref="FirstOfThree{TOps, TF, TI}"/> for a NaN-free row: odd[b − 1], even[b], odd[b]
    /// (column 0 from the centre); <paramref name="seen"/> takes any NaN of the loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF NanFreeFirstOfThree<TOps, TF, TI>(float* odd, float* even, TF isLeft, ref TF seen, out TI tap)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        TF centre = TOps.Load(even), right = TOps.Load(odd);
        seen = TOps.Select(TOps.Equal(centre, centre), seen, centre);
        seen = TOps.Select(TOps.Equal(right, right), seen, right);
        TF best = TOps.Select(isLeft, centre, TOps.Load(odd - 1));
        TI one = TOps.SplatIndex(1);
        tap = TOps.SelectIndex(TOps.Greater(centre, best), one, TOps.SelectIndex(isLeft, one, TOps.SplatIndex(0)));
        best = TOps.Max(centre, best);
        tap = TOps.SelectIndex(TOps.Greater(right, best), TOps.SplatIndex(2), tap);
        return TOps.Max(right, best);
    }

    /// <summary>
    /// The margin above a flat plane's (or phase's) column maxima: −∞, and the tap a row-0 window
    /// whose real elements are all −∞ takes, 3 + its first real column (1 in column 0, else 0).
    /// </summary>
    private static void TopMargin(float* columnMax, int* columnTap, int width, int lanes)
    {
        for (int j = -width - lanes; j < 0; j++)
        {
            columnMax[j] = float.NegativeInfinity;
            columnTap[j] = j + width == 0 ? 4 : 3;
        }
    }
}
