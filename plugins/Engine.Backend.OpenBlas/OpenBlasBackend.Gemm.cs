using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>Matrix multiplication through CBLAS.</summary>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public unsafe void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        const string op = "Gemm";
        CpuStorage sa = Check(op, "A", a);
        CpuStorage sb = Check(op, "B", b);
        CpuStorage sc = Check(op, "C", c);
        SameType(op, "A", a, "B", b);
        SameType(op, "A", a, "C", c);

        // Row-major storage; a tensor is a matrix of (first dimension) x (product of the rest).
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
        NotShared(op, "C", sc, "A", sa);
        NotShared(op, "C", sc, "B", sb);

        if (m == 0 || n == 0)
        {
            return;
        }
        bool isFloat = c.DataType == DataType.Float32;
        int count = m * n;
        if (beta == 0)
        {
            // BLAS promises this too, but clearing here keeps the contract (NaNs in C ignored) with
            // any library the user points us at.
            if (isFloat)
            {
                Elements<float>(sc, count).Clear();
            }
            else
            {
                Elements<double>(sc, count).Clear();
            }
        }
        if (k == 0)
        {
            // op(A)·op(B) is a zero matrix; BLAS would reject the leading dimensions of an empty A.
            if (beta != 0 && beta != 1)
            {
                if (isFloat)
                {
                    Span<float> cs = Elements<float>(sc, count);
                    TensorPrimitives.Multiply(cs, (float)beta, cs);
                }
                else
                {
                    Span<double> cs = Elements<double>(sc, count);
                    TensorPrimitives.Multiply(cs, beta, cs);
                }
            }
            GC.KeepAlive(sc);
            return;
        }

        if (isFloat)
        {
            SplitGemm(transposeA, transposeB, m, n, k, alpha, (float*)sa.Pointer, aCols, (float*)sb.Pointer, bCols, beta, (float*)sc.Pointer, n);
        }
        else
        {
            SplitGemm(transposeA, transposeB, m, n, k, alpha, (double*)sa.Pointer, aCols, (double*)sb.Pointer, bCols, beta, (double*)sc.Pointer, n);
        }
        // The pointers are raw: keep the storages (and their finalizers) at bay until BLAS is done.
        GC.KeepAlive(sa);
        GC.KeepAlive(sb);
        GC.KeepAlive(sc);
    }
}
