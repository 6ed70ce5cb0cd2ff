namespace Engine;

/// <summary>Matrix multiplication.</summary>
public static partial class BackendContract
{
    /// <summary>
    /// <see cref="IBackend.Gemm"/>: C ← α·op(A)·op(B) + β·C on the matrix views of the tensors
    /// (rows = first dimension, columns = the product of the others). Checks: A, B and C are
    /// floating-point operands of one data type; op(A) is m×k, op(B) k×n and C m×n; C shares memory
    /// with neither A nor B. Semantics: with β = 0 C's old contents are ignored, NaNs included; with
    /// k = 0 the product is a zero matrix (C ← β·C); m = 0 or n = 0 is a call that does nothing.
    /// </summary>
    /// <returns>m, n and k of the product.</returns>
    public static (int M, int N, int K) Gemm(IBackend backend, bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        const string op = "Gemm";
        Operand(backend, op, "A", a);
        Operand(backend, op, "B", b);
        Operand(backend, op, "C", c);
        Written(c);
        SameType(op, "A", a, "B", b);
        SameType(op, "A", a, "C", c);

        (int aRows, int aCols) = a.Shape.AsMatrix();
        (int bRows, int bCols) = b.Shape.AsMatrix();
        (int cRows, int cCols) = c.Shape.AsMatrix();
        int m = transposeA ? aCols : aRows;
        int k = transposeA ? aRows : aCols;
        int kB = transposeB ? bCols : bRows;
        int n = transposeB ? bRows : bCols;
        // Formatted only for an error: building it on every call allocated on every training step.
        string Operands() => $"A is {a.Shape}{(transposeA ? " (transposed)" : "")}, B is {b.Shape}{(transposeB ? " (transposed)" : "")}";
        if (k != kB)
        {
            throw new ShapeException($"{op}: op(A) is {m}x{k} but op(B) is {kB}x{n} (inner dimensions {k} and {kB} differ); {Operands()}");
        }
        if (cRows != m || cCols != n)
        {
            throw new ShapeException($"{op}: op(A)·op(B) is {m}x{n} but C {c.Shape} is {cRows}x{cCols}; {Operands()}");
        }
        NotShared(op, "C", c, "A", a);
        NotShared(op, "C", c, "B", b);
        return (m, n, k);
    }
}
