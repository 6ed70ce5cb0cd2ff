using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// SSE kernels for float 2×2 stride-2 max pooling, four windows at a time: shufps splits two rows
/// into their even and odd columns, and the first-maximum rule (<see cref="PoolingKernels.Beats{T}"/>: strictly
/// greater, or the first NaN) becomes lane masks, so the result is bit-for-bit the scalar one.
/// Each returns how many outputs of the row it did; the caller finishes the rest.
/// </summary>
internal static class MaxPoolSimd
{
    public static int TwoByTwoRowForward(ReadOnlySpan<float> row0, ReadOnlySpan<float> row1, Span<float> y)
    {
        if (!Sse.IsSupported)
        {
            return 0;
        }
        ref float x0 = ref MemoryMarshal.GetReference(row0);
        ref float x1 = ref MemoryMarshal.GetReference(row1);
        ref float out0 = ref MemoryMarshal.GetReference(y);
        int ow = 0;
        for (; ow + 4 <= y.Length && (2 * ow) + 8 <= row0.Length; ow += 4)
        {
            var (upper, lower, lowerWins, _, _) = TwoByTwoMasks(ref x0, ref x1, 2 * ow);
            Vector128.ConditionalSelect(lowerWins, lower, upper).StoreUnsafe(ref out0, (nuint)ow);
        }
        return ow;
    }

    public static int TwoByTwoRowBackward(ReadOnlySpan<float> row0, ReadOnlySpan<float> row1, ReadOnlySpan<float> dy,
        Span<float> dx0, Span<float> dx1)
    {
        if (!Sse.IsSupported)
        {
            return 0;
        }
        ref float x0 = ref MemoryMarshal.GetReference(row0);
        ref float x1 = ref MemoryMarshal.GetReference(row1);
        ref float g = ref MemoryMarshal.GetReference(dy);
        ref float d0 = ref MemoryMarshal.GetReference(dx0);
        ref float d1 = ref MemoryMarshal.GetReference(dx1);
        int ow = 0;
        for (; ow + 4 <= dy.Length && (2 * ow) + 8 <= row0.Length; ow += 4)
        {
            var (_, _, lowerWins, oddUpper, oddLower) = TwoByTwoMasks(ref x0, ref x1, 2 * ow);
            Vector128<float> grad = Vector128.LoadUnsafe(ref g, (nuint)ow);
            Vector128<float> upperGrad = Vector128.AndNot(grad, lowerWins);
            Vector128<float> lowerGrad = grad & lowerWins;
            // Even/odd columns back to their places: unpcklps/unpckhps interleave them again.
            Vector128<float> even0 = Vector128.AndNot(upperGrad, oddUpper), odd0 = upperGrad & oddUpper;
            Vector128<float> even1 = Vector128.AndNot(lowerGrad, oddLower), odd1 = lowerGrad & oddLower;
            Sse.UnpackLow(even0, odd0).StoreUnsafe(ref d0, (nuint)(2 * ow));
            Sse.UnpackHigh(even0, odd0).StoreUnsafe(ref d0, (nuint)((2 * ow) + 4));
            Sse.UnpackLow(even1, odd1).StoreUnsafe(ref d1, (nuint)(2 * ow));
            Sse.UnpackHigh(even1, odd1).StoreUnsafe(ref d1, (nuint)((2 * ow) + 4));
        }
        return ow;
    }

    /// <summary>
    /// For the four windows starting at column <paramref name="column"/>: each row's winner, whether
    /// the lower row wins, and whether the odd column wins in the upper and in the lower row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<float> Upper, Vector128<float> Lower, Vector128<float> LowerWins, Vector128<float> OddUpper, Vector128<float> OddLower)
        TwoByTwoMasks(ref float x0, ref float x1, int column)
    {
        Vector128<float> a0 = Vector128.LoadUnsafe(ref x0, (nuint)column), a1 = Vector128.LoadUnsafe(ref x0, (nuint)(column + 4));
        Vector128<float> b0 = Vector128.LoadUnsafe(ref x1, (nuint)column), b1 = Vector128.LoadUnsafe(ref x1, (nuint)(column + 4));
        Vector128<float> upperEven = Sse.Shuffle(a0, a1, 0b10_00_10_00), upperOdd = Sse.Shuffle(a0, a1, 0b11_01_11_01);
        Vector128<float> lowerEven = Sse.Shuffle(b0, b1, 0b10_00_10_00), lowerOdd = Sse.Shuffle(b0, b1, 0b11_01_11_01);
        Vector128<float> oddUpper = BeatsMask(upperOdd, upperEven), oddLower = BeatsMask(lowerOdd, lowerEven);
        Vector128<float> upper = Vector128.ConditionalSelect(oddUpper, upperOdd, upperEven);
        Vector128<float> lower = Vector128.ConditionalSelect(oddLower, lowerOdd, lowerEven);
        return (upper, lower, BeatsMask(lower, upper), oddUpper, oddLower);
    }

    /// <summary>Lane mask of <see cref="PoolingKernels.Beats{T}"/>: candidate &gt; best, or candidate NaN and best not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> BeatsMask(Vector128<float> candidate, Vector128<float> best) =>
        Vector128.GreaterThan(candidate, best) | Vector128.AndNot(Vector128.Equals(best, best), Vector128.Equals(candidate, candidate));
}
