using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Matrix multiplication, the only kernel that calls OpenBLAS. Large GEMMs are split over the
/// backend's <see cref="WorkerPool"/>: C is cut into one block of rows (or of columns, when it is
/// wider than tall) per thread and each block is one single-threaded OpenBLAS call. This is how big
/// products (dense layers, the sgemm reference) still use every core now that OpenBLAS's own
/// threading is off. Convolution kernels multiply their sub-matrices through <see cref="Block{T}"/>.
/// </summary>
internal static unsafe class GemmKernel
{
    /// <summary>
    /// C ← α·op(A)·op(B) + β·C on whole row-major tensors whose sizes the contract has checked
    /// (op(A) m×k, op(B) k×n, C m×n). With β = 0 C is cleared first, so NaNs in it are ignored.
    /// </summary>
    public static void Run(DataType type, bool transposeA, bool transposeB, int m, int n, int k, double alpha, nint a, nint b, double beta, nint c)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        bool isFloat = type == DataType.Float32;
        int count = m * n;
        if (beta == 0)
        {
            // BLAS promises this too, but clearing here keeps the contract (NaNs in C ignored) with
            // any library the user points us at.
            if (isFloat)
            {
                NativeSpan.Of<float>(c, count).Clear();
            }
            else
            {
                NativeSpan.Of<double>(c, count).Clear();
            }
        }
        if (k == 0)
        {
            // op(A)·op(B) is a zero matrix; BLAS would reject the leading dimensions of an empty A.
            if (beta != 0 && beta != 1)
            {
                if (isFloat)
                {
                    Span<float> cs = NativeSpan.Of<float>(c, count);
                    TensorPrimitives.Multiply(cs, (float)beta, cs);
                }
                else
                {
                    Span<double> cs = NativeSpan.Of<double>(c, count);
                    TensorPrimitives.Multiply(cs, beta, cs);
                }
            }
            return;
        }

        // Row-major: the leading dimension of a matrix is its column count as stored.
        int lda = transposeA ? m : k, ldb = transposeB ? k : n;
        if (isFloat)
        {
            SplitGemm(transposeA, transposeB, m, n, k, alpha, (float*)a, lda, (float*)b, ldb, beta, (float*)c, n);
        }
        else
        {
            SplitGemm(transposeA, transposeB, m, n, k, alpha, (double*)a, lda, (double*)b, ldb, beta, (double*)c, n);
        }
    }

    /// <summary>
    /// C ← op(A)·op(B) (+ C when <paramref name="accumulate"/>), C m×n, op(A) m×k, op(B) k×n; all sizes
    /// must be positive (callers handle empty problems, which BLAS rejects through the leading dimensions).
    /// </summary>
    public static void Block<T>(bool transposeA, bool transposeB, int m, int n, int k,
        T* a, int lda, T* b, int ldb, bool accumulate, T* c, int ldc) where T : unmanaged
    {
        if (typeof(T) == typeof(float) && TrySmall(transposeA, transposeB, m, n, k, (float*)a, lda, (float*)b, ldb, accumulate, (float*)c, ldc))
        {
            return;
        }
        if (typeof(T) == typeof(float) && TryPacked(transposeA, transposeB, m, n, k, (float*)a, lda, (float*)b, ldb, accumulate, (float*)c, ldc))
        {
            return;
        }
        int ta = transposeA ? OpenBlasNative.Trans : OpenBlasNative.NoTrans;
        int tb = transposeB ? OpenBlasNative.Trans : OpenBlasNative.NoTrans;
        if (typeof(T) == typeof(float))
        {
            OpenBlasNative.Sgemm(OpenBlasNative.RowMajor, ta, tb, m, n, k,
                1f, (float*)a, lda, (float*)b, ldb, accumulate ? 1f : 0f, (float*)c, ldc);
        }
        else
        {
            OpenBlasNative.Dgemm(OpenBlasNative.RowMajor, ta, tb, m, n, k,
                1.0, (double*)a, lda, (double*)b, ldb, accumulate ? 1.0 : 0.0, (double*)c, ldc);
        }
    }

    /// <summary>
    /// Sends a product of the shapes small convolutions make to the engine's own kernel
    /// (<see cref="SmallGemm"/>): A·B with A plain or transposed, or A·Bᵀ. False: OpenBLAS does it.
    /// </summary>
    private static bool TrySmall(bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, bool accumulate, float* c, int ldc)
    {
        if (!transposeB && SmallGemm.Takes(m, n, k))
        {
            // op(A)(i, p) is a[i·lda + p], or a[p·lda + i] when A is stored transposed.
            SmallGemm.Multiply(m, n, k, a, transposeA ? 1 : lda, transposeA ? lda : 1, b, ldb, accumulate, c, ldc);
            return true;
        }
        if (transposeB && !transposeA && SmallGemm.TakesTransposedB(m, n, k))
        {
            SmallGemm.MultiplyTransposedB(m, n, k, a, lda, b, ldb, accumulate, c, ldc);
            return true;
        }
        return false;
    }

    /// <summary>
    /// Sends a large float convolution product (ResNet/VGG-size layers) to the engine's own packed
    /// AVX-512 kernel (<see cref="PackedGemm"/>). False: OpenBLAS does it.
    /// </summary>
    /// <remarks>
    /// Not used by <see cref="Run"/> (dense layers): there the kernel choice would follow the batch
    /// size, so one sample's outputs would round differently by the batch it came in, and LeNet-5 over
    /// 2 MPI ranks drifted 1e-3 from one process (DistributedTrainingTests). Left for a later step.
    /// </remarks>
    private static bool TryPacked(bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, bool accumulate, float* c, int ldc)
    {
        if (!PackedGemm.Takes(m, n, k))
        {
            return false;
        }
        // op(A)(i, p) = a[i·lda + p], or a[p·lda + i] stored transposed; likewise op(B)(p, j).
        PackedGemm.Multiply(m, n, k, a, transposeA ? 1 : lda, transposeA ? lda : 1, b, transposeB ? 1 : ldb, transposeB ? ldb : 1, accumulate, c, ldc);
        return true;
    }

    /// <summary>
    /// Below this many multiply-adds (m·n·k) a GEMM runs on the calling thread: waking a worker costs
    /// a few microseconds, about what a product of this size takes.
    /// </summary>
    private const long SplitGemmWork = 1L << 20;

    /// <summary>The smallest block of rows or columns a split hands to one thread.</summary>
    private const int SplitGemmMinBlock = 16;

    /// <summary>C ← α·op(A)·op(B) + β·C on row-major operands, split over the pool when large; sizes positive.</summary>
    private static void SplitGemm<T>(bool transposeA, bool transposeB, int m, int n, int k,
        double alpha, T* a, int lda, T* b, int ldb, double beta, T* c, int ldc) where T : unmanaged
    {
        bool byRows = m >= n;
        int blocks = (long)m * n * k < SplitGemmWork ? 1 : Math.Max(1, Math.Min(WorkerPool.Width, (byRows ? m : n) / SplitGemmMinBlock));
        var job = new GemmJob<T>
        {
            TransposeA = transposeA,
            TransposeB = transposeB,
            M = m,
            N = n,
            K = k,
            Alpha = alpha,
            Beta = beta,
            A = a,
            Lda = lda,
            B = b,
            Ldb = ldb,
            C = c,
            Ldc = ldc,
            ByRows = byRows,
            Blocks = blocks,
        };
        if (blocks == 1)
        {
            GemmPiece<T>(&job, 0, 0);
            return;
        }
        WorkerPool.For(job.Blocks, job.Blocks, &GemmPiece<T>, &job);
    }

    private struct GemmJob<T> where T : unmanaged
    {
        public bool TransposeA, TransposeB, ByRows;
        public int M, N, K, Lda, Ldb, Ldc, Blocks;
        public double Alpha, Beta;
        public T* A, B, C;
    }

    /// <summary>Block <paramref name="piece"/> of C: rows (or columns) [piece·d/blocks, (piece+1)·d/blocks).</summary>
    private static void GemmPiece<T>(void* state, int piece, int worker) where T : unmanaged
    {
        ref GemmJob<T> j = ref *(GemmJob<T>*)state;
        int size = j.ByRows ? j.M : j.N;
        int first = (int)((long)size * piece / j.Blocks), end = (int)((long)size * (piece + 1) / j.Blocks);
        if (end <= first)
        {
            return;
        }
        T* a = j.A, b = j.B, c = j.C;
        int m = j.M, n = j.N;
        if (j.ByRows)
        {
            // Rows of op(A): rows of A, or columns of A when it is transposed.
            a += j.TransposeA ? first : (long)first * j.Lda;
            c += (long)first * j.Ldc;
            m = end - first;
        }
        else
        {
            // Columns of op(B): columns of B, or rows of B when it is transposed.
            b += j.TransposeB ? (long)first * j.Ldb : first;
            c += first;
            n = end - first;
        }
        int ta = j.TransposeA ? OpenBlasNative.Trans : OpenBlasNative.NoTrans;
        int tb = j.TransposeB ? OpenBlasNative.Trans : OpenBlasNative.NoTrans;
        if (typeof(T) == typeof(float))
        {
            OpenBlasNative.Sgemm(OpenBlasNative.RowMajor, ta, tb, m, n, j.K,
                (float)j.Alpha, (float*)a, j.Lda, (float*)b, j.Ldb, (float)j.Beta, (float*)c, j.Ldc);
        }
        else
        {
            OpenBlasNative.Dgemm(OpenBlasNative.RowMajor, ta, tb, m, n, j.K,
                j.Alpha, (double*)a, j.Lda, (double*)b, j.Ldb, j.Beta, (double*)c, j.Ldc);
        }
    }
}
