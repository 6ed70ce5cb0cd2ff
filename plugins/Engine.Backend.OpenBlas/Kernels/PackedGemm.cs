using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The engine's own FP32 GEMM for large products (the im2col products of ResNet/VGG-size
/// convolutions, dense layers): operands packed into cache-sized panels and multiplied by a
/// register-blocked micro-kernel, written once over <see cref="ISimdFloat{TVector}"/> and run at the
/// widest width the CPU has. It exists because OpenBLAS runs the kernels <c>OPENBLAS_CORETYPE</c>
/// names (Haswell here: AVX2, half of an AVX-512 core's FMA rate), whatever the CPU supports.
/// </summary>
/// <remarks>
/// <para>Blocking (single-threaded, one call per worker): C is cut into <see cref="NC"/>-column
/// blocks; for each, the depth is cut into <see cref="KC"/> steps and that k×n block of B is packed
/// into slivers of NR = 2 vectors of columns (a sliver stays in the first-level cache while the
/// micro-kernel runs it against every sliver of A); A is packed per <see cref="MC"/> rows into
/// slivers of MR rows (8 at 512 bits, 6 otherwise: 2·MR accumulators plus three registers fit the
/// register file), which stream from the second level. Packing reads A and B through (row, column)
/// strides, so transposed operands cost nothing extra in the kernel.</para>
/// <para>Every element of C is one chain of fused multiply-adds over p = 0..k−1 in order, started
/// from 0 (or from C when accumulating): a depth step after the first reloads the partial sum from C
/// into the accumulator instead of adding a separate sum. So the result is bit-identical to the
/// scalar <see cref="MathF.FusedMultiplyAdd"/> loop at every width, every blocking and every split
/// of C between threads (which is what keeps training reproducible run to run).</para>
/// </remarks>
internal static unsafe class PackedGemm
{
    /// <summary>
    /// The vector width in bits the dispatch uses: 512 where the CPU has AVX-512, else 0 (off: OpenBLAS
    /// does the large products; its own AVX2 kernels beat this one at 256 bits, see benchmarks/NOTES.md)
    /// — overridable with <c>ENGINE_GEMM=off|128|256|512</c> to measure one variant against another in
    /// the same build.
    /// </summary>
    /// <remarks>Settable inside the assembly so a benchmark can alternate variants in one process.</remarks>
    public static int Bits { get; internal set; } = ChooseBits(Environment.GetEnvironmentVariable("ENGINE_GEMM"));

    internal static int ChooseBits(string? setting)
    {
        int bits = SmallGemm.ChooseBits(setting);
        return string.IsNullOrEmpty(setting) && bits != 512 ? 0 : bits;
    }

    /// <summary>Depth of one packed step: a B sliver (KC × 32 floats, 16 KB) and an A sliver (4 KB) share the 48 KB first-level cache with room to spare (256 measured no faster).</summary>
    internal const int KC = 128;

    /// <summary>Rows of A packed at once (a multiple of both MRs): 240 × 128 floats = 120 KB, in the second-level cache.</summary>
    internal const int MC = 240;

    /// <summary>Columns of B packed at once (a multiple of every NR): 128 × 1024 floats = 512 KB.</summary>
    internal const int NC = 1024;

    /// <summary>Below this many multiply-adds packing costs more than it saves; the other kernels take those.</summary>
    private const long MinWork = 1L << 18;

    /// <summary>Whether C (m×n) = op(A)·op(B) with depth k goes to <see cref="Multiply"/>.</summary>
    public static bool Takes(int m, int n, int k) => Bits != 0 && k >= 16 && n >= 16 && (long)m * n * k >= MinWork;

    /// <summary>
    /// C (m×n, row stride <paramref name="ldc"/>) ← A·B (+ C when <paramref name="accumulate"/>), where
    /// A(i, p) is <c>a[i·aRow + p·aCol]</c> and B(p, j) is <c>b[p·bRow + j·bCol]</c> (transposed operands
    /// are other strides). Single-threaded; sizes positive.
    /// </summary>
    public static void Multiply(int m, int n, int k, float* a, long aRow, long aCol, float* b, long bRow, long bCol,
        bool accumulate, float* c, long ldc)
    {
        switch (Bits)
        {
            case 512: Multiply<Simd512, Vector512<float>>(8, m, n, k, a, aRow, aCol, b, bRow, bCol, accumulate, c, ldc); break;
            case 256: Multiply<Simd256, Vector256<float>>(6, m, n, k, a, aRow, aCol, b, bRow, bCol, accumulate, c, ldc); break;
            default: Multiply<Simd128, Vector128<float>>(6, m, n, k, a, aRow, aCol, b, bRow, bCol, accumulate, c, ldc); break;
        }
    }

    /// <summary>Rows of A's slivers at the dispatch width (<see cref="Multiply"/> and <see cref="PackWholeA"/> agree on it).</summary>
    internal static int SliverRows => Bits == 512 ? 8 : 6;

    /// <summary>Floats of <see cref="PackWholeA"/>'s layout for an m×k A: every depth step's slivers, rows rounded up to whole slivers.</summary>
    public static long WholeAFloats(int m, int k) => (long)(m + SliverRows - 1) / SliverRows * SliverRows * k;

    /// <summary>
    /// Packs all of A (m×k, strides as in <see cref="Multiply"/>) once, as <see cref="Multiply"/> packs it step by step:
    /// for each <see cref="KC"/> depth step, the slivers of every row (rows past m zeros), so that
    /// <see cref="MultiplyPacked"/> skips the packing of a constant operand (transformed filters kept between calls).
    /// The kernel reads the same floats in the same order, so the result is the same bits as <see cref="Multiply"/>'s.
    /// </summary>
    public static void PackWholeA(int m, int k, float* a, long aRow, long aCol, float* packed)
    {
        int mr = SliverRows;
        long rounded = (long)(m + mr - 1) / mr * mr;
        for (int pc = 0; pc < k; pc += KC)
        {
            PackA(mr, m, Math.Min(KC, k - pc), a + pc * aCol, aRow, aCol, packed + pc * rounded);
        }
    }

    /// <summary>C ← A·B (+ C) as <see cref="Multiply"/>, A given in <see cref="PackWholeA"/>'s layout (packed at the same <see cref="Bits"/>).</summary>
    public static void MultiplyPacked(int m, int n, int k, float* packedA, float* b, long bRow, long bCol, bool accumulate, float* c, long ldc)
    {
        switch (Bits)
        {
            case 512: Multiply<Simd512, Vector512<float>>(8, m, n, k, null, 0, 0, b, bRow, bCol, accumulate, c, ldc, packedA); break;
            case 256: Multiply<Simd256, Vector256<float>>(6, m, n, k, null, 0, 0, b, bRow, bCol, accumulate, c, ldc, packedA); break;
            default: Multiply<Simd128, Vector128<float>>(6, m, n, k, null, 0, 0, b, bRow, bCol, accumulate, c, ldc, packedA); break;
        }
    }

    // Packing buffers, one pair per thread (pool workers and callers), kept for the thread's life.
    [ThreadStatic] private static float[]? _packedA;
    [ThreadStatic] private static float[]? _packedB;

    /// <summary>
    /// <see cref="Multiply"/> at one width and row count <paramref name="mr"/> (8 or 6; tests run each). With
    /// <paramref name="wholeA"/> (<see cref="PackWholeA"/>'s layout at this mr) A is read from there, not packed.
    /// </summary>
    internal static void Multiply<TS, TV>(int mr, int m, int n, int k, float* a, long aRow, long aCol, float* b, long bRow, long bCol,
        bool accumulate, float* c, long ldc, float* wholeA = null)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        long rounded = (long)(m + mr - 1) / mr * mr;
        int nr = 2 * TS.Lanes;
        // 16 floats of slack so the panels can start on a 64-byte boundary inside the pinned arrays.
        _packedA ??= GC.AllocateUninitializedArray<float>(MC * KC + 16, pinned: true);
        _packedB ??= GC.AllocateUninitializedArray<float>(KC * NC + 16, pinned: true);
        fixed (float* aBuffer = _packedA, bBuffer = _packedB)
        {
            float* packedA = Align(aBuffer), packedB = Align(bBuffer);
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    bool load = accumulate || pc > 0;
                    PackB<TS, TV>(kc, nc, b + pc * bRow + jc * bCol, bRow, bCol, packedB);
                    for (int ic = 0; ic < m; ic += MC)
                    {
                        int mc = Math.Min(MC, m - ic);
                        float* panelA = packedA;
                        if (wholeA is null)
                        {
                            PackA(mr, mc, kc, a + ic * aRow + pc * aCol, aRow, aCol, packedA);
                        }
                        else
                        {
                            panelA = wholeA + pc * rounded + (long)ic * kc; // MC is a multiple of mr: whole slivers
                        }
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            float* sliverB = packedB + (long)jr * kc;
                            int cols = Math.Min(nr, nc - jr);
                            for (int ir = 0; ir < mc; ir += mr)
                            {
                                float* tile = c + (ic + ir) * ldc + jc + jr;
                                int rows = Math.Min(mr, mc - ir);
                                Tile<TS, TV>(mr, rows, cols, kc, panelA + (long)ir * kc, sliverB, tile, ldc, load);
                            }
                        }
                    }
                }
            }
        }
    }

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>
    /// One MR × NR tile of C; a tile cut by the edge of C runs on a full-size copy on the stack (only its
    /// real part is read from and written back to C), so the micro-kernel has a single shape.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TS, TV>(int mr, int rows, int cols, int kc, float* a, float* b, float* c, long ldc, bool load)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int nr = 2 * TS.Lanes;
        if (rows == mr && cols == nr)
        {
            Kernel<TS, TV>(mr, kc, a, b, c, ldc, load);
            return;
        }
        float* edge = stackalloc float[8 * 32];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                edge[i * nr + j] = load ? c[i * ldc + j] : 0;
            }
        }
        Kernel<TS, TV>(mr, kc, a, b, edge, nr, load);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                c[i * ldc + j] = edge[i * nr + j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel<TS, TV>(int mr, int kc, float* a, float* b, float* c, long ldc, bool load)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        if (mr == 8)
        {
            Kernel8<TS, TV>(kc, a, b, c, ldc, load);
        }
        else
        {
            Kernel6<TS, TV>(kc, a, b, c, ldc, load);
        }
    }

    /// <summary>
    /// 8 rows × 2 vectors of C in 16 accumulators: per depth step two vector loads of B, eight
    /// broadcasts of A, sixteen FMAs. Used at 512 bits, where 32 vector registers hold it all.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8<TS, TV>(int kc, float* a, float* b, float* c, long ldc, bool load)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes;
        TV c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (load)
        {
            c00 = TS.Load(c); c01 = TS.Load(c + lanes);
            c10 = TS.Load(c + ldc); c11 = TS.Load(c + ldc + lanes);
            c20 = TS.Load(c + 2 * ldc); c21 = TS.Load(c + 2 * ldc + lanes);
            c30 = TS.Load(c + 3 * ldc); c31 = TS.Load(c + 3 * ldc + lanes);
            c40 = TS.Load(c + 4 * ldc); c41 = TS.Load(c + 4 * ldc + lanes);
            c50 = TS.Load(c + 5 * ldc); c51 = TS.Load(c + 5 * ldc + lanes);
            c60 = TS.Load(c + 6 * ldc); c61 = TS.Load(c + 6 * ldc + lanes);
            c70 = TS.Load(c + 7 * ldc); c71 = TS.Load(c + 7 * ldc + lanes);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = TS.Zero;
            c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = TS.Zero;
        }
        for (int p = 0; p < kc; p++, a += 8, b += 2 * lanes)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + lanes);
            TV x = TS.Splat(a[0]); c00 = TS.Fma(x, b0, c00); c01 = TS.Fma(x, b1, c01);
            x = TS.Splat(a[1]); c10 = TS.Fma(x, b0, c10); c11 = TS.Fma(x, b1, c11);
            x = TS.Splat(a[2]); c20 = TS.Fma(x, b0, c20); c21 = TS.Fma(x, b1, c21);
            x = TS.Splat(a[3]); c30 = TS.Fma(x, b0, c30); c31 = TS.Fma(x, b1, c31);
            x = TS.Splat(a[4]); c40 = TS.Fma(x, b0, c40); c41 = TS.Fma(x, b1, c41);
            x = TS.Splat(a[5]); c50 = TS.Fma(x, b0, c50); c51 = TS.Fma(x, b1, c51);
            x = TS.Splat(a[6]); c60 = TS.Fma(x, b0, c60); c61 = TS.Fma(x, b1, c61);
            x = TS.Splat(a[7]); c70 = TS.Fma(x, b0, c70); c71 = TS.Fma(x, b1, c71);
        }
        TS.Store(c00, c); TS.Store(c01, c + lanes);
        TS.Store(c10, c + ldc); TS.Store(c11, c + ldc + lanes);
        TS.Store(c20, c + 2 * ldc); TS.Store(c21, c + 2 * ldc + lanes);
        TS.Store(c30, c + 3 * ldc); TS.Store(c31, c + 3 * ldc + lanes);
        TS.Store(c40, c + 4 * ldc); TS.Store(c41, c + 4 * ldc + lanes);
        TS.Store(c50, c + 5 * ldc); TS.Store(c51, c + 5 * ldc + lanes);
        TS.Store(c60, c + 6 * ldc); TS.Store(c61, c + 6 * ldc + lanes);
        TS.Store(c70, c + 7 * ldc); TS.Store(c71, c + 7 * ldc + lanes);
    }

    /// <summary>6 rows × 2 vectors (12 accumulators): the tile that fits AVX2's 16 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6<TS, TV>(int kc, float* a, float* b, float* c, long ldc, bool load)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes;
        TV c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load)
        {
            c00 = TS.Load(c); c01 = TS.Load(c + lanes);
            c10 = TS.Load(c + ldc); c11 = TS.Load(c + ldc + lanes);
            c20 = TS.Load(c + 2 * ldc); c21 = TS.Load(c + 2 * ldc + lanes);
            c30 = TS.Load(c + 3 * ldc); c31 = TS.Load(c + 3 * ldc + lanes);
            c40 = TS.Load(c + 4 * ldc); c41 = TS.Load(c + 4 * ldc + lanes);
            c50 = TS.Load(c + 5 * ldc); c51 = TS.Load(c + 5 * ldc + lanes);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = TS.Zero;
            c30 = c31 = c40 = c41 = c50 = c51 = TS.Zero;
        }
        for (int p = 0; p < kc; p++, a += 6, b += 2 * lanes)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + lanes);
            TV x = TS.Splat(a[0]); c00 = TS.Fma(x, b0, c00); c01 = TS.Fma(x, b1, c01);
            x = TS.Splat(a[1]); c10 = TS.Fma(x, b0, c10); c11 = TS.Fma(x, b1, c11);
            x = TS.Splat(a[2]); c20 = TS.Fma(x, b0, c20); c21 = TS.Fma(x, b1, c21);
            x = TS.Splat(a[3]); c30 = TS.Fma(x, b0, c30); c31 = TS.Fma(x, b1, c31);
            x = TS.Splat(a[4]); c40 = TS.Fma(x, b0, c40); c41 = TS.Fma(x, b1, c41);
            x = TS.Splat(a[5]); c50 = TS.Fma(x, b0, c50); c51 = TS.Fma(x, b1, c51);
        }
        TS.Store(c00, c); TS.Store(c01, c + lanes);
        TS.Store(c10, c + ldc); TS.Store(c11, c + ldc + lanes);
        TS.Store(c20, c + 2 * ldc); TS.Store(c21, c + 2 * ldc + lanes);
        TS.Store(c30, c + 3 * ldc); TS.Store(c31, c + 3 * ldc + lanes);
        TS.Store(c40, c + 4 * ldc); TS.Store(c41, c + 4 * ldc + lanes);
        TS.Store(c50, c + 5 * ldc); TS.Store(c51, c + 5 * ldc + lanes);
    }

    /// <summary>
    /// Packs rows [0, mc) × depth [0, kc) of A into slivers of <paramref name="mr"/> rows, each stored
    /// depth-major (the sliver's mr values of step p side by side); rows past mc are zeros.
    /// </summary>
    private static void PackA(int mr, int mc, int kc, float* a, long aRow, long aCol, float* packed)
    {
        for (int i0 = 0; i0 < mc; i0 += mr, packed += mr * kc)
        {
            int rows = Math.Min(mr, mc - i0);
            if (aRow == 1 && rows == mr)
            {
                // Transposed A (rows contiguous): each step's mr values are one contiguous run.
                for (int p = 0; p < kc; p++)
                {
                    Buffer.MemoryCopy(a + i0 + p * aCol, packed + p * mr, mr * sizeof(float), mr * sizeof(float));
                }
                continue;
            }
            if (aCol == 1 && rows == mr && mr == 8 && Avx.IsSupported)
            {
                // Plain A (rows contiguous along the depth): 8×8 blocks transposed in registers.
                TransposeInto(mr, kc, a + i0 * aRow, aRow, packed);
                continue;
            }
            for (int r = 0; r < mr; r++)
            {
                float* dst = packed + r;
                if (r >= rows)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        dst[p * mr] = 0;
                    }
                    continue;
                }
                float* src = a + (i0 + r) * aRow;
                for (int p = 0; p < kc; p++)
                {
                    dst[p * mr] = src[p * aCol];
                }
            }
        }
    }

    /// <summary>
    /// Packs depth [0, kc) × columns [0, nc) of B into slivers of NR = 2 vectors of columns, each stored
    /// depth-major; columns past nc are zeros.
    /// </summary>
    private static void PackB<TS, TV>(int kc, int nc, float* b, long bRow, long bCol, float* packed)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int lanes = TS.Lanes, nr = 2 * lanes;
        for (int j0 = 0; j0 < nc; j0 += nr, packed += nr * kc)
        {
            int cols = Math.Min(nr, nc - j0);
            if (bCol == 1 && cols == nr)
            {
                float* src = b + j0;
                for (int p = 0; p < kc; p++, src += bRow)
                {
                    TS.Store(TS.Load(src), packed + p * nr);
                    TS.Store(TS.Load(src + lanes), packed + p * nr + lanes);
                }
                continue;
            }
            if (bRow == 1 && cols == nr && Avx.IsSupported)
            {
                // Transposed B (columns contiguous along the depth, A·Bᵀ): 8×8 blocks transposed in registers.
                TransposeInto(nr, kc, b + j0 * bCol, bCol, packed);
                continue;
            }
            for (int j = 0; j < nr; j++)
            {
                float* dst = packed + j;
                if (j >= cols)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        dst[p * nr] = 0;
                    }
                    continue;
                }
                float* src = b + (j0 + j) * bCol;
                for (int p = 0; p < kc; p++)
                {
                    dst[p * nr] = src[p * bRow];
                }
            }
        }
    }

    /// <summary>
    /// packed[p·width + r] ← src[r·stride + p] for r in [0, width) (a multiple of 8) and p in [0, kc):
    /// <paramref name="width"/> rows contiguous along the depth, written depth-major. Whole 8×8 blocks
    /// go through registers (a scalar copy of this pass cost as much as a third of backward filter's
    /// product); the last kc % 8 steps are copied one by one.
    /// </summary>
    private static void TransposeInto(int width, int kc, float* src, long stride, float* packed)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            for (int r = 0; r < width; r += 8)
            {
                float* s = src + r * stride + p;
                Transpose8x8(s, stride, packed + (long)p * width + r, width);
            }
        }
        for (; p < kc; p++)
        {
            for (int r = 0; r < width; r++)
            {
                packed[(long)p * width + r] = src[r * stride + p];
            }
        }
    }

    /// <summary>dst[t·ldd + q] ← src[q·lds + t] for an 8×8 block (unpack, shuffle, 128-bit lane swap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long lds, float* dst, long ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + lds);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * lds), r3 = Avx.LoadVector256(src + 3 * lds);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * lds), r5 = Avx.LoadVector256(src + 5 * lds);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * lds), r7 = Avx.LoadVector256(src + 7 * lds);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
