using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The column-phase split of <see cref="WinogradTransforms.SplitPhases"/> for any number of rows at
/// once, read straight from the plane: each row is split once for all the tile rows of a block
/// that use it (the per-tile-row split reads each input row 1.5 times and six rows for a 4-row
/// gradient tile), and, with AVX-512, without first copying it into a zero-padded line (in a profile
/// of the filter gradient that copy and its clears were most of the split's time). The join back
/// (<see cref="Join"/>) likewise stores straight into the output rows.
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

    /// <summary>
    /// <see cref="WinogradTransforms.JoinPhases"/> (output rows <paramref name="firstRow"/> .. +3 below
    /// <paramref name="height"/> from their phases), with AVX-512 stored straight into the plane: whole
    /// vectors inside the row, a masked store for its end (never a write past the row: the next row may
    /// belong to another thread's block).
    /// </summary>
    public static void Join(float* phases, int stride, float* y, int height, int width, int firstRow, float* line, bool permute)
    {
        if (!permute)
        {
            WinogradTransforms.JoinPhases(phases, stride, y, height, width, firstRow);
            return;
        }
        Vector512<int> low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        Vector512<int> high = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        Vector512<int> lowPairs = Vector512.Create(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        Vector512<int> highPairs = Vector512.Create(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
        for (int a = 0; a < 4 && firstRow + a < height; a++)
        {
            float* row = y + (long)(firstRow + a) * width;
            float* src = phases + a * 4 * stride;
            for (int t = 0; 4 * t < width; t += 16)
            {
                Vector512<float> p0 = Vector512.Load(src + t), p1 = Vector512.Load(src + stride + t);
                Vector512<float> p2 = Vector512.Load(src + 2 * stride + t), p3 = Vector512.Load(src + 3 * stride + t);
                Vector512<float> lo01 = Avx512F.PermuteVar16x32x2(p0, low, p1), hi01 = Avx512F.PermuteVar16x32x2(p0, high, p1);
                Vector512<float> lo23 = Avx512F.PermuteVar16x32x2(p2, low, p3), hi23 = Avx512F.PermuteVar16x32x2(p2, high, p3);
                int x = 4 * t;
                Put(Avx512F.PermuteVar16x32x2(lo01, lowPairs, lo23), row, x, width);
                Put(Avx512F.PermuteVar16x32x2(lo01, highPairs, lo23), row, x + 16, width);
                Put(Avx512F.PermuteVar16x32x2(hi01, lowPairs, hi23), row, x + 32, width);
                Put(Avx512F.PermuteVar16x32x2(hi01, highPairs, hi23), row, x + 48, width);
            }
        }
    }

    /// <summary>row[x .. x + 15] = value, only the lanes below width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector512<float> value, float* row, int x, int width)
    {
        if (x + 16 <= width)
        {
            value.Store(row + x);
        }
        else if (x < width)
        {
            Avx512F.MaskStore(row + x, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width - x)).AsSingle(), value);
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
        for (int c = 0; c < chunks; c++)
        {
            int s = 64 * c - padLeft;
            Deal(Piece(row, width, s), Piece(row, width, s + 16), Piece(row, width, s + 32), Piece(row, width, s + 48), dst + 16 * c, stride);
        }
    }

    /// <summary>64 consecutive values (four vectors) dealt into their four phases: dst[q·stride + t] = value 4·t + q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Deal(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, float* dst, int stride)
    {
        Vector512<int> evens = Evens, odds = Odds;
        Vector512<float> even01 = Avx512F.PermuteVar16x32x2(v0, evens, v1), odd01 = Avx512F.PermuteVar16x32x2(v0, odds, v1);
        Vector512<float> even23 = Avx512F.PermuteVar16x32x2(v2, evens, v3), odd23 = Avx512F.PermuteVar16x32x2(v2, odds, v3);
        Avx512F.PermuteVar16x32x2(even01, evens, even23).Store(dst);
        Avx512F.PermuteVar16x32x2(odd01, evens, odd23).Store(dst + stride);
        Avx512F.PermuteVar16x32x2(even01, odds, even23).Store(dst + 2 * stride);
        Avx512F.PermuteVar16x32x2(odd01, odds, odd23).Store(dst + 3 * stride);
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
