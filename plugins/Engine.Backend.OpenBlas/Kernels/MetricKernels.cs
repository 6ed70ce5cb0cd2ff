using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The ops that let a training step report without a host read: one-hot targets from class
/// indices, running loss and top-k/confusion counts, the sum of squares and clipping by a norm
/// that stays on the backend. Semantics are <see cref="BackendContract"/>'s.
/// </summary>
internal static class MetricKernels
{
    /// <summary>y (N×K) ← one-hot rows of labels; a label outside [0, K) gives a row of zeros.</summary>
    public static void OneHot(nint labels, DataType type, nint y, int n, int k)
    {
        Span<int> classes = NativeSpan.Of<int>(labels, n);
        if (type == DataType.Float32)
        {
            OneHotKernel(classes, NativeSpan.Of<float>(y, (long)n * k), k);
        }
        else
        {
            OneHotKernel(classes, NativeSpan.Of<double>(y, (long)n * k), k);
        }
    }

    /// <summary>acc[0] += weight·value[0]; acc[1] ← step at the first value that is not finite.</summary>
    public static void AccumulateLoss(DataType type, nint value, double weight, long step, nint accumulator)
    {
        double v = type == DataType.Float32 ? NativeSpan.Of<float>(value, 1)[0] : NativeSpan.Of<double>(value, 1)[0];
        Span<double> acc = NativeSpan.Of<double>(accumulator, 2);
        acc[0] += weight * v;
        if (!double.IsFinite(v) && acc[1] == 0)
        {
            acc[1] = step;
        }
    }

    /// <summary>counts[j] += 1 for each row whose label ranks within the top j + 1.</summary>
    public static void AccumulateTopK(DataType type, nint logits, nint labels, nint counts, int n, int k, int ks)
    {
        Span<int> classes = NativeSpan.Of<int>(labels, n);
        Span<double> c = NativeSpan.Of<double>(counts, ks);
        if (type == DataType.Float32)
        {
            TopK(NativeSpan.Of<float>(logits, (long)n * k), classes, k, c);
        }
        else
        {
            TopK(NativeSpan.Of<double>(logits, (long)n * k), classes, k, c);
        }
    }

    /// <summary>matrix[label, predicted] += 1 for each row with a label in [0, K).</summary>
    public static void AccumulateConfusion(DataType type, nint logits, nint labels, nint matrix, int n, int k)
    {
        Span<int> classes = NativeSpan.Of<int>(labels, n);
        Span<double> m = NativeSpan.Of<double>(matrix, (long)k * k);
        if (type == DataType.Float32)
        {
            Confusion(NativeSpan.Of<float>(logits, (long)n * k), classes, k, m);
        }
        else
        {
            Confusion(NativeSpan.Of<double>(logits, (long)n * k), classes, k, m);
        }
    }

    /// <summary>acc[0] ← β·acc[0] + Σ x², summed in double (β = 0 ignores the old value).</summary>
    public static void SumOfSquares(DataType type, nint x, int count, nint accumulator, double beta)
    {
        double sum = 0;
        if (type == DataType.Float32)
        {
            foreach (float v in NativeSpan.Of<float>(x, count))
            {
                sum += (double)v * v;
            }
        }
        else
        {
            foreach (double v in NativeSpan.Of<double>(x, count))
            {
                sum += v * v;
            }
        }
        Span<double> acc = NativeSpan.Of<double>(accumulator, 1);
        acc[0] = beta == 0 ? sum : beta * acc[0] + sum;
    }

    /// <summary>x ← x·(maxNorm/√s) when s = sumOfSquares[0] is finite and √s &gt; maxNorm.</summary>
    public static void ClipToNorm(nint sumOfSquares, double maxNorm, DataType type, nint x, int count)
    {
        double s = NativeSpan.Of<double>(sumOfSquares, 1)[0];
        double norm = Math.Sqrt(s);
        if (double.IsFinite(s) && norm > maxNorm)
        {
            double scale = maxNorm / norm;
            if (type == DataType.Float32)
            {
                Span<float> values = NativeSpan.Of<float>(x, count);
                TensorPrimitives.Multiply(values, (float)scale, values);
            }
            else
            {
                Span<double> values = NativeSpan.Of<double>(x, count);
                TensorPrimitives.Multiply(values, scale, values);
            }
        }
    }

    private static void OneHotKernel<T>(Span<int> classes, Span<T> y, int k) where T : unmanaged, INumberBase<T>
    {
        y.Clear();
        for (int i = 0; i < classes.Length; i++)
        {
            if ((uint)classes[i] < (uint)k)
            {
                y[i * k + classes[i]] = T.One;
            }
        }
    }

    private static void TopK<T>(Span<T> logits, Span<int> classes, int k, Span<double> counts) where T : unmanaged, INumberBase<T>, IComparisonOperators<T, T, bool>
    {
        for (int i = 0; i < classes.Length; i++)
        {
            int t = classes[i];
            if ((uint)t >= (uint)k)
            {
                continue;
            }
            Span<T> row = logits.Slice(i * k, k);
            T own = row[t];
            if (T.IsNaN(own))
            {
                continue;
            }
            // Ties go to the lower index, as the confusion matrix's first maximum does, so that top-1
            // equals the confusion diagonal and a row of equal logits is not scored correct for every label.
            int rank = 0;
            for (int j = 0; j < row.Length; j++)
            {
                T value = row[j];
                if (value > own || T.IsNaN(value) || (j < t && value == own))
                {
                    rank++;
                }
            }
            for (int j = rank; j < counts.Length; j++)
            {
                counts[j]++;
            }
        }
    }

    private static void Confusion<T>(Span<T> logits, Span<int> classes, int k, Span<double> matrix) where T : unmanaged, INumberBase<T>, IComparisonOperators<T, T, bool>
    {
        for (int i = 0; i < classes.Length; i++)
        {
            int t = classes[i];
            if ((uint)t >= (uint)k)
            {
                continue;
            }
            Span<T> row = logits.Slice(i * k, k);
            int predicted = 0;
            for (int j = 0; j < k; j++)
            {
                if (T.IsNaN(row[j]))
                {
                    predicted = j;
                    break;
                }
                if (row[j] > row[predicted])
                {
                    predicted = j;
                }
            }
            matrix[t * k + predicted]++;
        }
    }
}
