using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The engine's own FP32 GEMM for the small products of convolutions with few channels (LeNet's
/// 1→6 and 6→16 at 5×5: 6 or 16 rows, 25–150 deep). OpenBLAS pays a packing pass per call and its
/// kernels are tuned for large squares, so at these sizes a register-tiled broadcast kernel that
/// reads the operands in place is faster. Written once over <see cref="ISimdFloat{TVector}"/> and
/// run at the widest width the CPU supports (AVX-512, AVX2 + FMA, or the portable 128-bit path).
/// </summary>
/// <remarks>
/// <see cref="Multiply"/> computes every element of C as one chain of fused multiply-adds over p in
/// order, at every width, so all widths give bit-identical results (and the same as the scalar
/// loop with <see cref="MathF.FusedMultiplyAdd"/>). <see cref="MultiplyTransposedB"/> sums along
/// the rows, so its rounding depends on the width, but never on threads or timing: results stay
/// reproducible run to run on one machine.
/// </remarks>
internal static unsafe class SmallGemm
{
    /// <summary>
    /// The vector width in bits the dispatch uses: the CPU's widest (512, 256, 128), or 0 (off: OpenBLAS
    /// does every product) — overridable with <c>ENGINE_SMALL_GEMM=off|128|256|512</c> to measure one
    /// variant against another in the same build.
    /// </summary>
    /// <remarks>Settable inside the assembly so a benchmark can alternate variants in one process.</remarks>
    public static int Bits { get; internal set; } = ChooseBits(Environment.GetEnvironmentVariable("ENGINE_SMALL_GEMM"));

    internal static int ChooseBits(string? setting)
    {
        int native = Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? 512
            : Vector256.IsHardwareAccelerated && Fma.IsSupported ? 256
            : 128;
        return setting switch
        {
            "off" or "0" => 0,
            "128" => 128,
            "256" => Math.Min(native, 256) == 256 ? 256 : 128,
            "512" => native,
            _ => native,
        };
    }

    // Sizes (in floats) up to which the operands stay in the first two cache levels, where reading
    // them in place (no packing) beats OpenBLAS; above them OpenBLAS's blocking wins.
    private const int MaxDepth = 256;
    private const int MaxStreamed = 1 << 17;

    /// <summary>Whether C (m×n) = A·B with depth k goes to <see cref="Multiply"/>.</summary>
    public static bool Takes(int m, int n, int k) => Bits != 0 && k <= MaxDepth && (long)m * k <= MaxStreamed / 8 && n >= 16;

    /// <summary>Whether C (m×n) = A·Bᵀ with depth k goes to <see cref="MultiplyTransposedB"/>.</summary>
    /// <remarks>
    /// Only for deep sums: each of the m·n results ends in a lane reduction and a scalar tail, which
    /// at depth 100 (LeNet conv2's backward filter) costs more than OpenBLAS's whole call; at depth
    /// 784 (conv1's) the own kernel is 4–5× faster (benchmarks/Engine.Bench.Kernels).
    /// </remarks>
    public static bool TakesTransposedB(int m, int n, int k) => Bits != 0 && k >= MinDotDepth && m <= 256 && n <= 256 && (long)(m + n) * k <= MaxStreamed;

    /// <summary>The least depth <see cref="MultiplyTransposedB"/> takes.</summary>
    public const int MinDotDepth = 256;

    /// <summary>
    /// C (m×n, row stride <paramref name="ldc"/>) ← A·B (+ C when <paramref name="accumulate"/>); A is m×k
    /// with element (i, p) at <c>a[i·aRow + p·aCol]</c> (so a transposed A is just other strides), B is
    /// k×n row-major.
    /// </summary>
    public static void Multiply(int m, int n, int k, float* a, int aRow, int aCol, float* b, int ldb, bool accumulate, float* c, int ldc)
    {
        switch (Bits)
        {
            case 512: Multiply<Simd512, Vector512<float>>(m, n, k, a, aRow, aCol, b, ldb, accumulate, c, ldc); break;
            case 256: Multiply<Simd256, Vector256<float>>(m, n, k, a, aRow, aCol, b, ldb, accumulate, c, ldc); break;
            default: Multiply<Simd128, Vector128<float>>(m, n, k, a, aRow, aCol, b, ldb, accumulate, c, ldc); break;
        }
    }

    /// <summary>C (m×n) ← A·Bᵀ (+ C when <paramref name="accumulate"/>); A is m×k and B n×k, both row-major.</summary>
    public static void MultiplyTransposedB(int m, int n, int k, float* a, int lda, float* b, int ldb, bool accumulate, float* c, int ldc)
    {
        switch (Bits)
        {
            case 512: MultiplyTransposedB<Simd512, Vector512<float>>(m, n, k, a, lda, b, ldb, accumulate, c, ldc); break;
            case 256: MultiplyTransposedB<Simd256, Vector256<float>>(m, n, k, a, lda, b, ldb, accumulate, c, ldc); break;
            default: MultiplyTransposedB<Simd128, Vector128<float>>(m, n, k, a, lda, b, ldb, accumulate, c, ldc); break;
        }
    }

    /// <summary><see cref="Multiply"/> at one width (tests run each).</summary>
    internal static void Multiply<TS, TV>(int m, int n, int k, float* a, int aRow, int aCol, float* b, int ldb, bool accumulate, float* c, int ldc)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes, j = 0;
        for (; j + 2 * lanes <= n; j += 2 * lanes)
        {
            for (int i = 0; i < m; i += 6)
            {
                Tile6x2<TS, TV>(Math.Min(6, m - i), k, a + (long)i * aRow, aRow, aCol, b + j, ldb, accumulate, c + (long)i * ldc + j, ldc);
            }
        }
        for (; j + lanes <= n; j += lanes)
        {
            for (int i = 0; i < m; i += 6)
            {
                Tile6x1<TS, TV>(Math.Min(6, m - i), k, a + (long)i * aRow, aRow, aCol, b + j, ldb, accumulate, c + (long)i * ldc + j, ldc);
            }
        }
        if (j < n && (long)k * lanes <= MaxTailFloats)
        {
            Tail<TS, TV>(m, n - j, k, a, aRow, aCol, b + j, ldb, accumulate, c + j, ldc);
            return;
        }
        for (; j < n; j++)
        {
            for (int i = 0; i < m; i++)
            {
                float* ai = a + (long)i * aRow, bj = b + j;
                float sum = 0;
                for (int p = 0; p < k; p++, ai += aCol, bj += ldb)
                {
                    sum = MathF.FusedMultiplyAdd(*ai, *bj, sum);
                }
                float* cij = c + (long)i * ldc + j;
                *cij = accumulate ? *cij + sum : sum;
            }
        }
    }

    // The stack a column tail may take: its k×lanes copy of B (16 KB at depth 256 and 16 lanes).
    private const int MaxTailFloats = MaxDepth * 16;

    // The last (fewer than one vector of) columns: B's tail copied into a zero-padded k×lanes block
    // on the stack and run through the vector tile, so its sums are the same FMA chains as the rest
    // (bit-identical to the scalar loop) but six rows and all lanes at a time instead of one
    // latency-bound chain per element, which cost more than the whole vector part at n = 100.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tail<TS, TV>(int m, int width, int k, float* a, int aRow, int aCol, float* b, int ldb, bool accumulate, float* c, int ldc)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes;
        float* panel = stackalloc float[k * lanes];
        float* block = stackalloc float[6 * lanes];
        for (int p = 0; p < k; p++)
        {
            for (int t = 0; t < lanes; t++)
            {
                panel[p * lanes + t] = t < width ? b[(long)p * ldb + t] : 0;
            }
        }
        for (int i = 0; i < m; i += 6)
        {
            int rows = Math.Min(6, m - i);
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(c + (long)(i + r) * ldc, width).CopyTo(new Span<float>(block + r * lanes, width));
            }
            Tile6x1<TS, TV>(rows, k, a + (long)i * aRow, aRow, aCol, panel, lanes, accumulate, block, lanes);
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(block + r * lanes, width).CopyTo(new Span<float>(c + (long)(i + r) * ldc, width));
            }
        }
    }

    // Six rows of C by two vectors of columns: 12 accumulators, enough independent FMAs to cover
    // their latency on two FMA ports, and 15 registers with the operands (AVX2 has 16). Rows past
    // `rows` repeat the last real row's A (harmless work) and are not stored.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x2<TS, TV>(int rows, int k, float* a, int aRow, int aCol, float* b, int ldb, bool accumulate, float* c, int ldc)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes;
        float* a0 = a, a1 = a + Math.Min(1, rows - 1) * aRow, a2 = a + Math.Min(2, rows - 1) * aRow;
        float* a3 = a + Math.Min(3, rows - 1) * aRow, a4 = a + Math.Min(4, rows - 1) * aRow, a5 = a + Math.Min(5, rows - 1) * aRow;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero;
        TV c30 = TS.Zero, c31 = TS.Zero, c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero;
        long offset = 0;
        for (int p = 0; p < k; p++, b += ldb, offset += aCol)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + lanes);
            TV w = TS.Splat(a0[offset]); c00 = TS.Fma(w, b0, c00); c01 = TS.Fma(w, b1, c01);
            w = TS.Splat(a1[offset]); c10 = TS.Fma(w, b0, c10); c11 = TS.Fma(w, b1, c11);
            w = TS.Splat(a2[offset]); c20 = TS.Fma(w, b0, c20); c21 = TS.Fma(w, b1, c21);
            w = TS.Splat(a3[offset]); c30 = TS.Fma(w, b0, c30); c31 = TS.Fma(w, b1, c31);
            w = TS.Splat(a4[offset]); c40 = TS.Fma(w, b0, c40); c41 = TS.Fma(w, b1, c41);
            w = TS.Splat(a5[offset]); c50 = TS.Fma(w, b0, c50); c51 = TS.Fma(w, b1, c51);
        }
        Put<TS, TV>(c00, c, accumulate); Put<TS, TV>(c01, c + lanes, accumulate);
        if (rows > 1) { Put<TS, TV>(c10, c + ldc, accumulate); Put<TS, TV>(c11, c + ldc + lanes, accumulate); }
        if (rows > 2) { Put<TS, TV>(c20, c + 2 * ldc, accumulate); Put<TS, TV>(c21, c + 2 * ldc + lanes, accumulate); }
        if (rows > 3) { Put<TS, TV>(c30, c + 3 * ldc, accumulate); Put<TS, TV>(c31, c + 3 * ldc + lanes, accumulate); }
        if (rows > 4) { Put<TS, TV>(c40, c + 4 * ldc, accumulate); Put<TS, TV>(c41, c + 4 * ldc + lanes, accumulate); }
        if (rows > 5) { Put<TS, TV>(c50, c + 5 * ldc, accumulate); Put<TS, TV>(c51, c + 5 * ldc + lanes, accumulate); }
    }

    // The same over a single vector of columns (the remainder of n after the two-vector panels).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x1<TS, TV>(int rows, int k, float* a, int aRow, int aCol, float* b, int ldb, bool accumulate, float* c, int ldc)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        float* a0 = a, a1 = a + Math.Min(1, rows - 1) * aRow, a2 = a + Math.Min(2, rows - 1) * aRow;
        float* a3 = a + Math.Min(3, rows - 1) * aRow, a4 = a + Math.Min(4, rows - 1) * aRow, a5 = a + Math.Min(5, rows - 1) * aRow;
        TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero, c4 = TS.Zero, c5 = TS.Zero;
        long offset = 0;
        for (int p = 0; p < k; p++, b += ldb, offset += aCol)
        {
            TV b0 = TS.Load(b);
            c0 = TS.Fma(TS.Splat(a0[offset]), b0, c0);
            c1 = TS.Fma(TS.Splat(a1[offset]), b0, c1);
            c2 = TS.Fma(TS.Splat(a2[offset]), b0, c2);
            c3 = TS.Fma(TS.Splat(a3[offset]), b0, c3);
            c4 = TS.Fma(TS.Splat(a4[offset]), b0, c4);
            c5 = TS.Fma(TS.Splat(a5[offset]), b0, c5);
        }
        Put<TS, TV>(c0, c, accumulate);
        if (rows > 1) { Put<TS, TV>(c1, c + ldc, accumulate); }
        if (rows > 2) { Put<TS, TV>(c2, c + 2 * ldc, accumulate); }
        if (rows > 3) { Put<TS, TV>(c3, c + 3 * ldc, accumulate); }
        if (rows > 4) { Put<TS, TV>(c4, c + 4 * ldc, accumulate); }
        if (rows > 5) { Put<TS, TV>(c5, c + 5 * ldc, accumulate); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TS, TV>(TV value, float* destination, bool accumulate)
        where TS : struct, ISimdFloat<TV> where TV : struct =>
        TS.Store(accumulate ? TS.Add(TS.Load(destination), value) : value, destination);

    /// <summary><see cref="MultiplyTransposedB"/> at one width (tests run each).</summary>
    internal static void MultiplyTransposedB<TS, TV>(int m, int n, int k, float* a, int lda, float* b, int ldb, bool accumulate, float* c, int ldc)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        for (int i = 0; i < m; i += 4)
        {
            for (int j = 0; j < n; j += 4)
            {
                TileDot4x4<TS, TV>(Math.Min(4, m - i), Math.Min(4, n - j), k, a + (long)i * lda, lda, b + (long)j * ldb, ldb, accumulate, c + (long)i * ldc + j, ldc);
            }
        }
    }

    // Four rows of A against four rows of B: 16 vector dot products at once (8 loads per 16 FMAs),
    // each reduced across lanes and finished over the last k % lanes elements in scalar. Rows past
    // the real ones repeat the last real row and are not stored.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileDot4x4<TS, TV>(int rows, int cols, int k, float* a, int lda, float* b, int ldb, bool accumulate, float* c, int ldc)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes;
        float* a0 = a, a1 = a + Math.Min(1, rows - 1) * lda, a2 = a + Math.Min(2, rows - 1) * lda, a3 = a + Math.Min(3, rows - 1) * lda;
        float* b0 = b, b1 = b + Math.Min(1, cols - 1) * ldb, b2 = b + Math.Min(2, cols - 1) * ldb, b3 = b + Math.Min(3, cols - 1) * ldb;
        TV s00 = TS.Zero, s01 = TS.Zero, s02 = TS.Zero, s03 = TS.Zero, s10 = TS.Zero, s11 = TS.Zero, s12 = TS.Zero, s13 = TS.Zero;
        TV s20 = TS.Zero, s21 = TS.Zero, s22 = TS.Zero, s23 = TS.Zero, s30 = TS.Zero, s31 = TS.Zero, s32 = TS.Zero, s33 = TS.Zero;
        int p = 0;
        for (; p + lanes <= k; p += lanes)
        {
            TV y0 = TS.Load(b0 + p), y1 = TS.Load(b1 + p), y2 = TS.Load(b2 + p), y3 = TS.Load(b3 + p);
            TV x = TS.Load(a0 + p);
            s00 = TS.Fma(x, y0, s00); s01 = TS.Fma(x, y1, s01); s02 = TS.Fma(x, y2, s02); s03 = TS.Fma(x, y3, s03);
            x = TS.Load(a1 + p);
            s10 = TS.Fma(x, y0, s10); s11 = TS.Fma(x, y1, s11); s12 = TS.Fma(x, y2, s12); s13 = TS.Fma(x, y3, s13);
            x = TS.Load(a2 + p);
            s20 = TS.Fma(x, y0, s20); s21 = TS.Fma(x, y1, s21); s22 = TS.Fma(x, y2, s22); s23 = TS.Fma(x, y3, s23);
            x = TS.Load(a3 + p);
            s30 = TS.Fma(x, y0, s30); s31 = TS.Fma(x, y1, s31); s32 = TS.Fma(x, y2, s32); s33 = TS.Fma(x, y3, s33);
        }
        // Stored row by row; each store only for a real (row, column) pair.
        FinishRow<TS, TV>(s00, s01, s02, s03, a0, b0, b1, b2, b3, cols, p, k, c, accumulate);
        if (rows > 1) { FinishRow<TS, TV>(s10, s11, s12, s13, a1, b0, b1, b2, b3, cols, p, k, c + ldc, accumulate); }
        if (rows > 2) { FinishRow<TS, TV>(s20, s21, s22, s23, a2, b0, b1, b2, b3, cols, p, k, c + 2 * ldc, accumulate); }
        if (rows > 3) { FinishRow<TS, TV>(s30, s31, s32, s33, a3, b0, b1, b2, b3, cols, p, k, c + 3 * ldc, accumulate); }
    }

    // One row of a dot tile: its first `cols` results.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishRow<TS, TV>(TV s0, TV s1, TV s2, TV s3, float* a, float* b0, float* b1, float* b2, float* b3,
        int cols, int from, int k, float* row, bool accumulate)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        Finish<TS, TV>(s0, a, b0, from, k, row, accumulate);
        if (cols > 1) { Finish<TS, TV>(s1, a, b1, from, k, row + 1, accumulate); }
        if (cols > 2) { Finish<TS, TV>(s2, a, b2, from, k, row + 2, accumulate); }
        if (cols > 3) { Finish<TS, TV>(s3, a, b3, from, k, row + 3, accumulate); }
    }

    // The lanes' sum, then the scalar tail from `from` to k, then stored or added.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TS, TV>(TV partial, float* a, float* b, int from, int k, float* destination, bool accumulate)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        float sum = TS.Sum(partial);
        for (int p = from; p < k; p++)
        {
            sum = MathF.FusedMultiplyAdd(a[p], b[p], sum);
        }
        *destination = accumulate ? *destination + sum : sum;
    }
}
