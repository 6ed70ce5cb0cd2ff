using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The three transforms of Winograd's F(4×4, 3×3) (interpolation points 0, ±1, ±2 and ∞): a 3×3
/// filter g becomes U = G·g·Gᵀ (6×6), a 6×6 input patch d becomes V = Bᵀ·d·B, and the 6×6 product
/// M = U ⊙ V (summed over input channels) becomes the 4×4 output tile Aᵀ·M·A.
/// </summary>
/// <remarks>
/// <para>The input and output transforms run on vectors whose lanes are adjacent tiles of one tile
/// row, so each of the 36 patch values of a lane group is one contiguous load. That needs the 6
/// input rows of a tile row split by column phase first (<see cref="SplitPhases"/>): column
/// 4·t + j of a row is element t + j/4 of phase j % 4. The output is assembled the other way
/// round (<see cref="JoinPhases"/>).</para>
/// <para>Every lane runs the same sequence of fused multiply-adds whatever the vector width, so all
/// widths give bit-identical results (tests check it).</para>
/// </remarks>
internal static unsafe partial class WinogradTransforms
{
    /// <summary>Values of a transformed tile (6×6).</summary>
    public const int Points = 36;

    /// <summary>
    /// Rows [<paramref name="first"/>, <paramref name="end"/>) of U[ξ][o][i] = (G·g·Gᵀ)[ξ] (outputs × inputs
    /// per ξ) for the filter g of output channel o and input channel i, computed in double and rounded
    /// once. Forward: o is the filter k, i the channel c, g = w[k][c]. Backward data (<paramref name="rotated"/>):
    /// the equivalent forward convolution of dy has o = c, i = k and g = w[k][c] turned by 180°. Each
    /// row is built in a local buffer and written as 36 contiguous runs (36 scattered stores per filter
    /// cost more than the arithmetic).
    /// </summary>
    public static void Filters(float* w, int filters, int channels, bool rotated, float* u, int first, int end)
    {
        int outputs = rotated ? channels : filters, inputs = rotated ? filters : channels;
        long plane = (long)outputs * inputs;
        const int Chunk = 64;
        Span<double> t = stackalloc double[18];
        Span<double> row = stackalloc double[6];
        float* local = stackalloc float[Points * Chunk];
        for (int o = first; o < end; o++)
        {
            for (int i0 = 0; i0 < inputs; i0 += Chunk)
            {
                int count = Math.Min(Chunk, inputs - i0);
                int di = 0;
                if (VectorFilters)
                {
                    for (; di + FilterLanes <= count; di += FilterLanes)
                    {
                        FilterLaneGroup(w, channels, rotated, o, i0 + di, local + di, Chunk);
                    }
                }
                for (; di < count; di++)
                {
                    int i = i0 + di;
                    float* g = w + (rotated ? (long)i * channels + o : (long)o * channels + i) * 9;
                    // t = G·g (6×3), then U = t·Gᵀ (6×6); a turned filter reads g[8 − n].
                    for (int col = 0; col < 3; col++)
                    {
                        FilterColumn(Tap(g, col, rotated), Tap(g, 3 + col, rotated), Tap(g, 6 + col, rotated), t, col, 3);
                    }
                    for (int r = 0; r < 6; r++)
                    {
                        FilterColumn(t[r * 3], t[r * 3 + 1], t[r * 3 + 2], row, 0, 1);
                        for (int s = 0; s < 6; s++)
                        {
                            local[(r * 6 + s) * Chunk + di] = (float)row[s];
                        }
                    }
                }
                for (int xi = 0; xi < Points; xi++)
                {
                    new ReadOnlySpan<float>(local + xi * Chunk, count).CopyTo(new Span<float>(u + xi * plane + (long)o * inputs + i0, count));
                }
            }
        }
    }

    private static double Tap(float* g, int n, bool rotated) => g[rotated ? 8 - n : n];

    /// <summary>G·(g0, g1, g2) into <paramref name="to"/>[start + n·stride], n = 0..5.</summary>
    private static void FilterColumn(double g0, double g1, double g2, Span<double> to, int start, int stride)
    {
        to[start] = g0 / 4;
        to[start + stride] = -(g0 + g1 + g2) / 6;
        to[start + 2 * stride] = -(g0 - g1 + g2) / 6;
        to[start + 3 * stride] = g0 / 24 + g1 / 12 + g2 / 6;
        to[start + 4 * stride] = g0 / 24 - g1 / 12 + g2 / 6;
        to[start + 5 * stride] = g2;
    }

    /// <summary>
    /// Splits rows <paramref name="firstRow"/> .. +5 of a <paramref name="height"/>×<paramref name="width"/>
    /// plane, shifted right by <paramref name="padLeft"/>, into phases: phases[(i·4 + q)·stride + t] =
    /// x[firstRow + i][4·t + q − padLeft] for t in [0, <paramref name="count"/>), zero outside the plane.
    /// With <paramref name="permute"/> (AVX-512) each row is copied into <paramref name="line"/> (4·stride
    /// floats) with its zeros around it and split 64 floats at a time in registers; else value by value.
    /// </summary>
    public static void SplitPhases(float* x, int height, int width, int firstRow, int padLeft, int count, float* phases, int stride,
        float* line, bool permute)
    {
        for (int i = 0; i < 6; i++)
        {
            int r = firstRow + i;
            float* dst = phases + i * 4 * stride;
            if ((uint)r >= (uint)height)
            {
                for (int q = 0; q < 4; q++)
                {
                    new Span<float>(dst + q * stride, count).Clear();
                }
                continue;
            }
            float* row = x + (long)r * width;
            if (permute)
            {
                SplitRow(row, width, padLeft, count, dst, stride, line);
                continue;
            }
            for (int q = 0; q < 4; q++)
            {
                float* d = dst + q * stride;
                int col = q - padLeft;
                for (int t = 0; t < count; t++, col += 4)
                {
                    d[t] = (uint)col < (uint)width ? row[col] : 0f;
                }
            }
        }
    }

    /// <summary>One row of <see cref="SplitPhases"/> through registers: two rounds of even/odd selection make the four phases.</summary>
    private static void SplitRow(float* row, int width, int padLeft, int count, float* dst, int stride, float* line)
    {
        int chunks = (count + 15) / 16, span = 64 * chunks;
        // line[j] = row[j − padLeft], zeros outside the row.
        int start = Math.Min(padLeft, span), end = Math.Min(span, padLeft + width);
        new Span<float>(line, start).Clear();
        if (end > start)
        {
            new ReadOnlySpan<float>(row + (start - padLeft), end - start).CopyTo(new Span<float>(line + start, end - start));
        }
        new Span<float>(line + Math.Max(start, end), span - Math.Max(start, end)).Clear();
        for (int c = 0; c < chunks; c++)
        {
            float* src = line + 64 * c;
            WinogradPhaseRows.Deal(Vector512.Load(src), Vector512.Load(src + 16), Vector512.Load(src + 32), Vector512.Load(src + 48), dst + 16 * c, stride);
        }
    }

    /// <summary>
    /// Writes output rows <paramref name="firstRow"/> .. +3 (those below <paramref name="height"/>) of a plane
    /// <paramref name="width"/> wide from phases: y[firstRow + a][4·t + b] = phases[(a·4 + b)·stride + t],
    /// value by value (the portable path; <see cref="WinogradPhaseRows.Join"/> does it in AVX-512 registers).
    /// </summary>
    public static void JoinPhases(float* phases, int stride, float* y, int height, int width, int firstRow)
    {
        for (int a = 0; a < 4 && firstRow + a < height; a++)
        {
            float* row = y + (long)(firstRow + a) * width;
            float* src = phases + a * 4 * stride;
            for (int b = 0; b < 4; b++)
            {
                float* s = src + b * stride;
                for (int x = b, t = 0; x < width; x += 4, t++)
                {
                    row[x] = s[t];
                }
            }
        }
    }

    /// <summary>
    /// Input transform of tiles [0, <paramref name="tiles"/>) of a tile row, <see cref="ISimdFloat{TVector}.Lanes"/>
    /// at a time: V[ξ·vStride + t] = (Bᵀ·d·B)[ξ] of the patch d whose value (i, j) is
    /// phases[(i·4 + j % 4)·stride + t + j/4]. The last group writes whole vectors, up to Lanes − 1 past
    /// the tile row (callers leave room or overwrite it with the next row).
    /// </summary>
    [SkipLocalsInit]
    public static void Input<TS, TV>(float* phases, int stride, int tiles, float* v, long vStride)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes;
        float* rows = stackalloc float[Points * 16];
        for (int t = 0; t < tiles; t += lanes)
        {
            // Along each patch row: rows[(i·6 + s)] = (d_i · B)[s].
            for (int i = 0; i < 6; i++)
            {
                float* p = phases + i * 4 * stride + t;
                InputLine<TS, TV>(
                    TS.Load(p), TS.Load(p + stride), TS.Load(p + 2 * stride), TS.Load(p + 3 * stride),
                    TS.Load(p + 1), TS.Load(p + stride + 1), rows + i * 6 * lanes, lanes);
            }
            // Down each column: V[r·6 + s] = (Bᵀ · rows[·][s])[r].
            for (int s = 0; s < 6; s++)
            {
                float* c = rows + s * lanes;
                int step = 6 * lanes;
                InputLine<TS, TV>(
                    TS.Load(c), TS.Load(c + step), TS.Load(c + 2 * step), TS.Load(c + 3 * step),
                    TS.Load(c + 4 * step), TS.Load(c + 5 * step), v + s * vStride + t, 6 * vStride);
            }
        }
    }

    /// <summary>
    /// Bᵀ·(d0..d5) into to[n·step], n = 0..5: 4d0 − 5d2 + d4, −4(d1 + d2) + d3 + d4, 4(d1 − d2) + d4 − d3,
    /// 2(d3 − d1) + d4 − d2, 2(d1 − d3) + d4 − d2, 4d1 − 5d3 + d5.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputLine<TS, TV>(TV d0, TV d1, TV d2, TV d3, TV d4, TV d5, float* to, long step)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        TV minus = TS.Splat(-1f), four = TS.Splat(4f), minusFour = TS.Splat(-4f), minusFive = TS.Splat(-5f);
        TV d42 = TS.Fma(minus, d2, d4);
        TV d31 = TS.Fma(minus, d1, d3);
        TS.Store(TS.Fma(four, d0, TS.Fma(minusFive, d2, d4)), to);
        TS.Store(TS.Fma(minusFour, TS.Add(d1, d2), TS.Add(d3, d4)), to + step);
        TS.Store(TS.Fma(four, TS.Fma(minus, d2, d1), TS.Fma(minus, d3, d4)), to + 2 * step);
        TS.Store(TS.Fma(TS.Splat(2f), d31, d42), to + 3 * step);
        TS.Store(TS.Fma(TS.Splat(-2f), d31, d42), to + 4 * step);
        TS.Store(TS.Fma(four, d1, TS.Fma(minusFive, d3, d5)), to + 5 * step);
    }

    /// <summary>
    /// Output transform of tiles [0, <paramref name="tiles"/>) of a tile row: phases[(a·4 + b)·stride + t] =
    /// (Aᵀ·M·A)[a, b] where M[ξ] = m[ξ·mStride + t]. Whole vectors: up to Lanes − 1 values past the row
    /// are written into the phases' slack.
    /// </summary>
    [SkipLocalsInit]
    public static void Output<TS, TV>(float* m, long mStride, int tiles, float* phases, int stride)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes;
        float* rows = stackalloc float[24 * 16];
        for (int t = 0; t < tiles; t += lanes)
        {
            // Along each row of M: rows[r·4 + b] = (M_r · A)[b].
            for (int r = 0; r < 6; r++)
            {
                float* p = m + r * 6 * mStride + t;
                OutputLine<TS, TV>(
                    TS.Load(p), TS.Load(p + mStride), TS.Load(p + 2 * mStride), TS.Load(p + 3 * mStride),
                    TS.Load(p + 4 * mStride), TS.Load(p + 5 * mStride), rows + r * 4 * lanes, lanes);
            }
            // Down each column: phases[a·4 + b] = (Aᵀ · rows[·][b])[a].
            for (int b = 0; b < 4; b++)
            {
                float* c = rows + b * lanes;
                int step = 4 * lanes;
                OutputLine<TS, TV>(
                    TS.Load(c), TS.Load(c + step), TS.Load(c + 2 * step), TS.Load(c + 3 * step),
                    TS.Load(c + 4 * step), TS.Load(c + 5 * step), phases + b * stride + t, 4L * stride);
            }
        }
    }

    /// <summary>
    /// Aᵀ·(m0..m5) into to[n·step], n = 0..3: m0 + (m1 + m2) + (m3 + m4), (m1 − m2) + 2(m3 − m4),
    /// (m1 + m2) + 4(m3 + m4), (m1 − m2) + 8(m3 − m4) + m5.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputLine<TS, TV>(TV m0, TV m1, TV m2, TV m3, TV m4, TV m5, float* to, long step)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        TV minus = TS.Splat(-1f);
        TV s12 = TS.Add(m1, m2), d12 = TS.Fma(minus, m2, m1);
        TV s34 = TS.Add(m3, m4), d34 = TS.Fma(minus, m4, m3);
        TS.Store(TS.Add(TS.Add(m0, s12), s34), to);
        TS.Store(TS.Fma(TS.Splat(2f), d34, d12), to + step);
        TS.Store(TS.Fma(TS.Splat(4f), s34, s12), to + 2 * step);
        TS.Store(TS.Add(TS.Fma(TS.Splat(8f), d34, d12), m5), to + 3 * step);
    }
}
