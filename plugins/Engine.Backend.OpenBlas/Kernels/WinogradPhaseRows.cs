using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The column-phase split of <see cref="WinogradTransforms.SplitPhases"/> for any number of rows at
/// once, read straight from the plane: each row is split once for all the tile rows of a block
/// that use it (the per-tile-row split reads each input row 1.5 times and six rows for a 4-row
/// gradient tile), and, with AVX-512, without first copying it into a zero-padded line (in a profile
/// of the filter gradient that copy and its clears were most of the split's time).
/// </summary>
/// <remarks>A pure copy (values moved, zeros inserted), so it gives the same bits as the split it replaces.</remarks>
internal static unsafe class WinogradPhaseRows
{
    /// <summary>
    /// phases[(i·4 + q)·stride + t] = x[firstRow + i][4·t + q − padLeft] for i in [0, <paramref name="rows"/>)
    /// and t in [0, <paramref name="count"/>), zero outside the plane. Whole vectors: with AVX-512 up to
    /// 16·⌈count/16⌉ values a phase row are written; otherwise the rows are split six at a time, so the
    /// buffer needs room for <paramref name="rows"/> rounded up to a multiple of 6 (see <see cref="BufferRows"/>).
    /// </summary>
    public static void Split(float* x, int height, int width, int firstRow, int rows, int padLeft, int count, float* phases, int stride,
        float* line, bool permute)
    {
        if (!permute || width < 16)
        {
            for (int i = 0; i < rows; i += 6)
            {
                WinogradTransforms.SplitPhases(x, height, width, firstRow + i, padLeft, count, phases + i * 4 * stride, stride, line, permute);
            }
            return;
        }
        int chunks = (count + 15) / 16;
        for (int i = 0; i < rows; i++)
        {
            int r = firstRow + i;
            float* dst = phases + i * 4 * stride;
            if ((uint)r >= (uint)height)
            {
                for (int q = 0; q < 4; q++)
                {
                    new Span<float>(dst + q * stride, 16 * chunks).Clear();
                }
                continue;
            }
            SplitRow(x + (long)r * width, width, padLeft, chunks, dst, stride);
        }
    }

    /// <summary>Phase rows a buffer for <paramref name="rows"/> rows of <see cref="Split"/> must hold.</summary>
    public static int BufferRows(int rows) => (rows + 5) / 6 * 6;

    /// <summary>Element indices 0, 2, .., 30 and 1, 3, .., 31 of two vectors side by side.</summary>
    private static Vector512<int> Evens => Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    private static Vector512<int> Odds => Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);

    /// <summary>One row (at least 16 wide), 64 columns at a time: four pieces, then two rounds of even/odd selection.</summary>
    private static void SplitRow(float* row, int width, int padLeft, int chunks, float* dst, int stride)
    {
        Vector512<int> evens = Evens, odds = Odds;
        for (int c = 0; c < chunks; c++)
        {
            int s = 64 * c - padLeft;
            Vector512<float> v0 = Piece(row, width, s), v1 = Piece(row, width, s + 16), v2 = Piece(row, width, s + 32), v3 = Piece(row, width, s + 48);
            Vector512<float> even01 = Avx512F.PermuteVar16x32x2(v0, evens, v1), odd01 = Avx512F.PermuteVar16x32x2(v0, odds, v1);
            Vector512<float> even23 = Avx512F.PermuteVar16x32x2(v2, evens, v3), odd23 = Avx512F.PermuteVar16x32x2(v2, odds, v3);
            Avx512F.PermuteVar16x32x2(even01, evens, even23).Store(dst + 16 * c);
            Avx512F.PermuteVar16x32x2(odd01, evens, odd23).Store(dst + stride + 16 * c);
            Avx512F.PermuteVar16x32x2(even01, odds, even23).Store(dst + 2 * stride + 16 * c);
            Avx512F.PermuteVar16x32x2(odd01, odds, odd23).Store(dst + 3 * stride + 16 * c);
        }
    }

    /// <summary>
    /// row[s .. s + 15] with zeros where the index falls outside [0, width): inside, one load; across an
    /// edge, the nearest in-bounds 16 values moved into place by a permute and the outside lanes masked
    /// to zero (never a load outside the row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Piece(float* row, int width, int s)
    {
        if ((uint)s <= (uint)(width - 16))
        {
            return Vector512.Load(row + s);
        }
        if (s >= width || s <= -16)
        {
            return Vector512<float>.Zero;
        }
        int start = Math.Clamp(s, 0, width - 16);
        Vector512<int> lanes = Vector512<int>.Indices;
        Vector512<float> moved = Avx512F.PermuteVar16x32(Vector512.Load(row + start), lanes + Vector512.Create(s - start));
        Vector512<int> at = lanes + Vector512.Create(s);
        Vector512<int> inside = Vector512.GreaterThanOrEqual(at, Vector512<int>.Zero) & Vector512.LessThan(at, Vector512.Create(width));
        return Vector512.ConditionalSelect(inside.AsSingle(), moved, Vector512<float>.Zero);
    }
}
