namespace Engine.Backend.OpenBlas;

/// <summary>
/// GEMM on raw row-major sub-matrices with explicit leading dimensions, for the per-group and
/// per-position products inside convolution kernels (the public <see cref="Gemm"/> works on whole tensors).
/// </summary>
public sealed partial class OpenBlasBackend
{
    /// <summary>
    /// C ← op(A)·op(B) (+ C when <paramref name="accumulate"/>), C m×n, op(A) m×k, op(B) k×n; all sizes
    /// must be positive (callers handle empty problems, which BLAS rejects through the leading dimensions).
    /// </summary>
    private static unsafe void GemmBlock<T>(bool transposeA, bool transposeB, int m, int n, int k,
        T* a, int lda, T* b, int ldb, bool accumulate, T* c, int ldc) where T : unmanaged
    {
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
}
