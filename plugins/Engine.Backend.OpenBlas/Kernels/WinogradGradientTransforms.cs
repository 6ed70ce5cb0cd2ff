using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The two transforms the filter gradient of Winograd's F(4×4, 3×3) adds to <see cref="WinogradTransforms"/>.
/// The forward tile is Y = Aᵀ·(U ⊙ V)·A with U = G·g·Gᵀ, so for an output-gradient tile dY the filter
/// gradient is dg = Gᵀ·(Σ over tiles (A·dY·Aᵀ) ⊙ V)·G: a 4×4 gradient tile is spread to 6×6 by A
/// (<see cref="OutputGradient{TS, TV}"/>), multiplied point by point with the input transform V
/// (summed over tiles by 36 products), and the 6×6 sum is folded back to 3×3 by G
/// (<see cref="FilterGradient"/>).
/// </summary>
/// <remarks>Lanes are adjacent tiles of one tile row and every lane runs the same fused multiply-adds
/// at every vector width, as in <see cref="WinogradTransforms"/>, so all widths give the same bits.</remarks>
internal static unsafe class WinogradGradientTransforms
{
    /// <summary>
    /// A·dY·Aᵀ of tiles [0, <paramref name="tiles"/>) of a tile row, <see cref="ISimdFloat{TVector}.Lanes"/>
    /// at a time: d[ξ·dStride + t] for the 4×4 tile whose value (a, b) is phases[(a·4 + b)·stride + t]
    /// (the phases of <see cref="WinogradTransforms.SplitPhases"/>, no padding). The last group writes
    /// whole vectors, up to Lanes − 1 past the tile row.
    /// </summary>
    [SkipLocalsInit]
    public static void OutputGradient<TS, TV>(float* phases, int stride, int tiles, float* d, long dStride)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes;
        float* rows = stackalloc float[24 * 16];
        for (int t = 0; t < tiles; t += lanes)
        {
            // Along each tile row: rows[a·6 + s] = (A · dY_a)[s].
            for (int a = 0; a < 4; a++)
            {
                float* p = phases + a * 4 * stride + t;
                SpreadLine<TS, TV>(TS.Load(p), TS.Load(p + stride), TS.Load(p + 2 * stride), TS.Load(p + 3 * stride), rows + a * 6 * lanes, lanes);
            }
            // Down each column: d[r·6 + s] = (A · rows[·][s])[r].
            for (int s = 0; s < 6; s++)
            {
                float* c = rows + s * lanes;
                int step = 6 * lanes;
                SpreadLine<TS, TV>(TS.Load(c), TS.Load(c + step), TS.Load(c + 2 * step), TS.Load(c + 3 * step), d + s * dStride + t, 6 * dStride);
            }
        }
    }

    /// <summary>
    /// A·(m0..m3) into to[n·step], n = 0..5: m0, (m0 + m2) + (m1 + m3), (m0 + m2) − (m1 + m3),
    /// (m0 + 4m2) + 2(m1 + 4m3), (m0 + 4m2) − 2(m1 + 4m3), m3 (A's rows are the interpolation points
    /// 0, 1, −1, 2, −2 and ∞ raised to the powers 0..3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SpreadLine<TS, TV>(TV m0, TV m1, TV m2, TV m3, float* to, long step)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        TV four = TS.Splat(4f), minus = TS.Splat(-1f);
        TV even = TS.Add(m0, m2), odd = TS.Add(m1, m3);
        TV evenFour = TS.Fma(four, m2, m0), oddFour = TS.Fma(four, m3, m1);
        TS.Store(m0, to);
        TS.Store(TS.Add(even, odd), to + step);
        TS.Store(TS.Fma(minus, odd, even), to + 2 * step);
        TS.Store(TS.Fma(TS.Splat(2f), oddFour, evenFour), to + 3 * step);
        TS.Store(TS.Fma(TS.Splat(-2f), oddFour, evenFour), to + 4 * step);
        TS.Store(m3, to + 5 * step);
    }

    /// <summary>
    /// dw[k][c] = Gᵀ·S·G (3×3) for k in [<paramref name="first"/>, <paramref name="end"/>), where S (6×6)
    /// is the sum over <paramref name="parts"/> partial sums: S[ξ] = Σ_q sums[q·partStride + ξ·plane + k·channels + c]
    /// with plane = filters·channels. Summed and transformed in double in a fixed order, rounded once.
    /// </summary>
    public static void FilterGradient(float* sums, int parts, long partStride, int filters, int channels, float* dw, int first, int end)
    {
        long plane = (long)filters * channels;
        Span<double> s = stackalloc double[WinogradTransforms.Points];
        Span<double> t = stackalloc double[18];
        for (int k = first; k < end; k++)
        {
            int c = 0;
            for (; Avx512F.IsSupported && c + 8 <= channels; c += 8)
            {
                FoldEight(sums + (long)k * channels + c, parts, partStride, plane, dw + ((long)k * channels + c) * 9);
            }
            for (; c < channels; c++)
            {
                float* at = sums + (long)k * channels + c;
                for (int xi = 0; xi < WinogradTransforms.Points; xi++)
                {
                    double sum = 0;
                    for (int q = 0; q < parts; q++)
                    {
                        sum += at[q * partStride + xi * plane];
                    }
                    s[xi] = sum;
                }
                // t = Gᵀ·S (3×6), then dw = t·G (3×3).
                for (int col = 0; col < 6; col++)
                {
                    FoldColumn(s[col], s[6 + col], s[12 + col], s[18 + col], s[24 + col], s[30 + col], t, col, 6);
                }
                float* g = dw + ((long)k * channels + c) * 9;
                for (int i = 0; i < 3; i++)
                {
                    Span<double> row = t.Slice(i * 6, 6);
                    g[i * 3] = (float)(row[0] / 4 - (row[1] + row[2]) / 6 + (row[3] + row[4]) / 24);
                    g[i * 3 + 1] = (float)((row[2] - row[1]) / 6 + (row[3] - row[4]) / 12);
                    g[i * 3 + 2] = (float)((row[3] + row[4] - row[1] - row[2]) / 6 + row[5]);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="FilterGradient"/> for 8 channels side by side, one per lane of double vectors: the same
    /// additions and divisions in the same order as the scalar loop, so the same bits.
    /// </summary>
    [SkipLocalsInit]
    private static void FoldEight(float* at, int parts, long partStride, long plane, float* dw)
    {
        Vector512<double>* s = stackalloc Vector512<double>[WinogradTransforms.Points];
        Vector512<double>* t = stackalloc Vector512<double>[18];
        for (int xi = 0; xi < WinogradTransforms.Points; xi++)
        {
            Vector512<double> sum = Vector512<double>.Zero;
            for (int q = 0; q < parts; q++)
            {
                sum += Avx512F.ConvertToVector512Double(Vector256.Load(at + q * partStride + xi * plane));
            }
            s[xi] = sum;
        }
        for (int col = 0; col < 6; col++)
        {
            Vector512<double> u0 = s[col], u1 = s[6 + col], u2 = s[12 + col], u3 = s[18 + col], u4 = s[24 + col], u5 = s[30 + col];
            t[col] = u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;
            t[6 + col] = (u2 - u1) / 6 + (u3 - u4) / 12;
            t[12 + col] = (u3 + u4 - u1 - u2) / 6 + u5;
        }
        float* lanes = stackalloc float[9 * 8];
        for (int i = 0; i < 3; i++)
        {
            Vector512<double>* row = t + i * 6;
            Avx512F.ConvertToVector256Single(row[0] / 4 - (row[1] + row[2]) / 6 + (row[3] + row[4]) / 24).Store(lanes + (i * 3) * 8);
            Avx512F.ConvertToVector256Single((row[2] - row[1]) / 6 + (row[3] - row[4]) / 12).Store(lanes + (i * 3 + 1) * 8);
            Avx512F.ConvertToVector256Single((row[3] + row[4] - row[1] - row[2]) / 6 + row[5]).Store(lanes + (i * 3 + 2) * 8);
        }
        for (int lane = 0; lane < 8; lane++)
        {
            for (int tap = 0; tap < 9; tap++)
            {
                dw[lane * 9 + tap] = lanes[tap * 8 + lane];
            }
        }
    }

    /// <summary>Gᵀ·(u0..u5) into to[start + n·stride], n = 0..2 (G's columns: the filter taps' weights at the six points).</summary>
    private static void FoldColumn(double u0, double u1, double u2, double u3, double u4, double u5, Span<double> to, int start, int stride)
    {
        to[start] = u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;
        to[start + stride] = (u2 - u1) / 6 + (u3 - u4) / 12;
        to[start + 2 * stride] = (u3 + u4 - u1 - u2) / 6 + u5;
    }
}
