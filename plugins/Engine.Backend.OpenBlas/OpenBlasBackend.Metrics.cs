using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The ops that let a training step report without a host read: one-hot targets from class
/// indices, running loss and top-k/confusion counts, and clipping by a norm that stays on the
/// backend. Semantics and checks are <see cref="BackendContract"/>'s.
/// </summary>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public void OneHot(Tensor labels, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.OneHot(this, labels, y);
        var (n, k) = (y.Shape[0], y.Shape[1]);
        Span<int> classes = Elements<int>((CpuStorage)labels.Storage, n);
        if (y.DataType == DataType.Float32)
        {
            OneHot(classes, Elements<float>((CpuStorage)y.Storage, (long)n * k), k);
        }
        else
        {
            OneHot(classes, Elements<double>((CpuStorage)y.Storage, (long)n * k), k);
        }
        GC.KeepAlive(labels);
        GC.KeepAlive(y);
    }

    private static void OneHot<T>(Span<int> classes, Span<T> y, int k) where T : unmanaged, INumberBase<T>
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

    /// <inheritdoc/>
    public void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator)
    {
        ThrowIfDisposed();
        BackendContract.AccumulateLoss(this, value, weight, step, accumulator);
        double v = value.DataType == DataType.Float32
            ? Elements<float>((CpuStorage)value.Storage, 1)[0]
            : Elements<double>((CpuStorage)value.Storage, 1)[0];
        Span<double> acc = Elements<double>((CpuStorage)accumulator.Storage, 2);
        acc[0] += weight * v;
        if (!double.IsFinite(v) && acc[1] == 0)
        {
            acc[1] = step;
        }
        GC.KeepAlive(value);
        GC.KeepAlive(accumulator);
    }

    /// <inheritdoc/>
    public void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts)
    {
        ThrowIfDisposed();
        BackendContract.AccumulateTopK(this, logits, labels, counts);
        var (n, k) = (logits.Shape[0], logits.Shape[1]);
        Span<int> classes = Elements<int>((CpuStorage)labels.Storage, n);
        Span<double> c = Elements<double>((CpuStorage)counts.Storage, counts.ElementCount);
        if (logits.DataType == DataType.Float32)
        {
            TopK(Elements<float>((CpuStorage)logits.Storage, (long)n * k), classes, k, c);
        }
        else
        {
            TopK(Elements<double>((CpuStorage)logits.Storage, (long)n * k), classes, k, c);
        }
        GC.KeepAlive(logits);
        GC.KeepAlive(labels);
        GC.KeepAlive(counts);
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
            int rank = 0;
            foreach (T value in row)
            {
                if (value > own || T.IsNaN(value))
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

    /// <inheritdoc/>
    public void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix)
    {
        ThrowIfDisposed();
        BackendContract.AccumulateConfusion(this, logits, labels, matrix);
        var (n, k) = (logits.Shape[0], logits.Shape[1]);
        Span<int> classes = Elements<int>((CpuStorage)labels.Storage, n);
        Span<double> m = Elements<double>((CpuStorage)matrix.Storage, (long)k * k);
        if (logits.DataType == DataType.Float32)
        {
            Confusion(Elements<float>((CpuStorage)logits.Storage, (long)n * k), classes, k, m);
        }
        else
        {
            Confusion(Elements<double>((CpuStorage)logits.Storage, (long)n * k), classes, k, m);
        }
        GC.KeepAlive(logits);
        GC.KeepAlive(labels);
        GC.KeepAlive(matrix);
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

    /// <inheritdoc/>
    public void SumOfSquares(Tensor x, Tensor accumulator, double beta)
    {
        ThrowIfDisposed();
        BackendContract.SumOfSquares(this, x, accumulator, beta);
        double sum = 0;
        if (x.DataType == DataType.Float32)
        {
            foreach (float v in Elements<float>((CpuStorage)x.Storage, x.ElementCount))
            {
                sum += (double)v * v;
            }
        }
        else
        {
            foreach (double v in Elements<double>((CpuStorage)x.Storage, x.ElementCount))
            {
                sum += v * v;
            }
        }
        Span<double> acc = Elements<double>((CpuStorage)accumulator.Storage, 1);
        acc[0] = beta == 0 ? sum : beta * acc[0] + sum;
        GC.KeepAlive(x);
        GC.KeepAlive(accumulator);
    }

    /// <inheritdoc/>
    public void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x)
    {
        ThrowIfDisposed();
        BackendContract.ClipToNorm(this, sumOfSquares, maxNorm, x);
        double s = Elements<double>((CpuStorage)sumOfSquares.Storage, 1)[0];
        double norm = Math.Sqrt(s);
        if (double.IsFinite(s) && norm > maxNorm)
        {
            double scale = maxNorm / norm;
            if (x.DataType == DataType.Float32)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(Elements<float>((CpuStorage)x.Storage, x.ElementCount), (float)scale, Elements<float>((CpuStorage)x.Storage, x.ElementCount));
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(Elements<double>((CpuStorage)x.Storage, x.ElementCount), scale, Elements<double>((CpuStorage)x.Storage, x.ElementCount));
            }
        }
        GC.KeepAlive(sumOfSquares);
        GC.KeepAlive(x);
    }
}
