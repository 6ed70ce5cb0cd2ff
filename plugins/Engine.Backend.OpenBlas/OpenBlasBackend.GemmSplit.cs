namespace Engine.Backend.OpenBlas;

/// <summary>
/// Large GEMMs split over the backend's <see cref="WorkerPool"/>: C is cut into one block of rows
/// (or of columns, when it is wider than tall) per thread and each block is one single-threaded
/// OpenBLAS call. This is how big products (dense layers, the sgemm reference) still use every
/// core now that OpenBLAS's own threading is off.
/// </summary>
public sealed partial class OpenBlasBackend
{
    /// <summary>
    /// Below this many multiply-adds (m·n·k) a GEMM runs on the calling thread: waking a worker costs
    /// a few microseconds, about what a product of this size takes.
    /// </summary>
    private const long SplitGemmWork = 1L << 20;

    /// <summary>The smallest block of rows or columns a split hands to one thread.</summary>
    private const int SplitGemmMinBlock = 16;

    /// <summary>C ← α·op(A)·op(B) + β·C on row-major operands, split over the pool when large; sizes positive.</summary>
    private static unsafe void SplitGemm<T>(bool transposeA, bool transposeB, int m, int n, int k,
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

    private unsafe struct GemmJob<T> where T : unmanaged
    {
        public bool TransposeA, TransposeB, ByRows;
        public int M, N, K, Lda, Ldb, Ldc, Blocks;
        public double Alpha, Beta;
        public T* A, B, C;
    }

    /// <summary>Block <paramref name="piece"/> of C: rows (or columns) [piece·d/blocks, (piece+1)·d/blocks).</summary>
    private static unsafe void GemmPiece<T>(void* state, int piece, int worker) where T : unmanaged
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
