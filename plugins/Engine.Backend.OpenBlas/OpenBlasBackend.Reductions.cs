using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>Per-channel bias and sums, total sum and row-wise softmax.</summary>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public void AddChannelBias(Tensor y, Tensor bias)
    {
        const string op = "AddChannelBias";
        CpuStorage ys = Check(op, "y", y);
        CpuStorage bs = Check(op, "bias", bias);
        SameType(op, "y", y, "bias", bias);
        (int batch, int channels, int spatial) = ChannelLayout(op, "y", y);
        if (bias.ElementCount != channels)
        {
            throw new ShapeException($"{op}: y is {y.Shape} with {channels} channels but bias {Describe(bias)}");
        }
        NotShared(op, "y", ys, "bias", bs);
        int n = (int)y.ElementCount;
        if (y.DataType == DataType.Float32)
        {
            AddChannelBiasKernel<float>(Elements<float>(ys, n), Elements<float>(bs, channels), batch, channels, spatial);
        }
        else
        {
            AddChannelBiasKernel<double>(Elements<double>(ys, n), Elements<double>(bs, channels), batch, channels, spatial);
        }
        GC.KeepAlive(ys);
        GC.KeepAlive(bs);
    }

    /// <inheritdoc/>
    public void SumChannels(Tensor x, Tensor sums, double beta = 0)
    {
        const string op = "SumChannels";
        CpuStorage xs = Check(op, "x", x);
        CpuStorage ss = Check(op, "sums", sums);
        SameType(op, "x", x, "sums", sums);
        (int batch, int channels, int spatial) = ChannelLayout(op, "x", x);
        if (sums.ElementCount != channels)
        {
            throw new ShapeException($"{op}: x is {x.Shape} with {channels} channels but sums {Describe(sums)}");
        }
        NotShared(op, "x", xs, "sums", ss);
        int n = (int)x.ElementCount;
        if (x.DataType == DataType.Float32)
        {
            SumChannelsKernel<float>(Elements<float>(xs, n), Elements<float>(ss, channels), batch, channels, spatial, beta);
        }
        else
        {
            SumChannelsKernel<double>(Elements<double>(xs, n), Elements<double>(ss, channels), batch, channels, spatial, beta);
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ss);
    }

    /// <inheritdoc/>
    /// <remarks>Accumulates in double for both data types.</remarks>
    public void Sum(Tensor x, Tensor result)
    {
        const string op = "Sum";
        CpuStorage xs = Check(op, "x", x);
        CpuStorage rs = Check(op, "result", result);
        SameType(op, "x", x, "result", result);
        if (result.ElementCount != 1)
        {
            throw new ShapeException($"{op}: result {Describe(result)} but must be a one-element tensor");
        }
        int n = (int)x.ElementCount;
        if (x.DataType == DataType.Float32)
        {
            float total = (float)SumAsDouble<float>(Elements<float>(xs, n));
            Elements<float>(rs, 1)[0] = total;
        }
        else
        {
            double total = SumAsDouble<double>(Elements<double>(xs, n));
            Elements<double>(rs, 1)[0] = total;
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(rs);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Rows and columns come from x's matrix view; y needs the same element count and may be x.
    /// softmax = exp(x − max) / Σ exp(x − max); log-softmax = x − max − log Σ exp(x − max).
    /// </remarks>
    public void Softmax(Tensor x, Tensor y, bool log = false)
    {
        string op = log ? "Softmax(log)" : "Softmax";
        CpuStorage xs = Check(op, "x", x);
        CpuStorage ys = Check(op, "y", y);
        SameType(op, "x", x, "y", y);
        SameCount(op, "x", x, "y", y);
        (int rows, int columns) = x.Shape.AsMatrix();
        int n = (int)x.ElementCount;
        if (x.DataType == DataType.Float32)
        {
            SoftmaxKernel<float>(Elements<float>(xs, n), Elements<float>(ys, n), rows, columns, log);
        }
        else
        {
            SoftmaxKernel<double>(Elements<double>(xs, n), Elements<double>(ys, n), rows, columns, log);
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
    }

    /// <summary>N, C and the product of the remaining dimensions of an N×C×… tensor.</summary>
    private static (int Batch, int Channels, int Spatial) ChannelLayout(string op, string name, Tensor tensor)
    {
        ReadOnlySpan<int> dims = tensor.Shape.AsSpan();
        if (dims.Length < 2)
        {
            throw new ShapeException($"{op}: {name} is {tensor.Shape} but must be N×C×… (at least two dimensions)");
        }
        long spatial = 1;
        foreach (int d in dims[2..])
        {
            spatial *= d;
        }
        return (dims[0], dims[1], (int)spatial);
    }

    private static void AddChannelBiasKernel<T>(Span<T> y, ReadOnlySpan<T> bias, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (spatial == 1)
        {
            // N×C (a dense layer's output): add the bias vector to each row.
            for (int i = 0; i < batch; i++)
            {
                Span<T> row = y.Slice(i * channels, channels);
                TensorPrimitives.Add(row, bias, row);
            }
            return;
        }
        for (int i = 0; i < batch; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                Span<T> plane = y.Slice(((i * channels) + c) * spatial, spatial);
                TensorPrimitives.Add(plane, bias[c], plane);
            }
        }
    }

    private static void SumChannelsKernel<T>(ReadOnlySpan<T> x, Span<T> sums, int batch, int channels, int spatial, double beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (spatial == 1)
        {
            // N×C: sums ← β·sums, then add the rows (vectorised along C).
            if (beta == 0)
            {
                sums.Clear();
            }
            else if (beta != 1)
            {
                TensorPrimitives.Multiply(sums, T.CreateTruncating(beta), sums);
            }
            for (int i = 0; i < batch; i++)
            {
                TensorPrimitives.Add(sums, x.Slice(i * channels, channels), sums);
            }
            return;
        }
        for (int c = 0; c < channels; c++)
        {
            double total = 0;
            for (int i = 0; i < batch; i++)
            {
                total += SumAsDouble(x.Slice(((i * channels) + c) * spatial, spatial));
            }
            // β = 0 ignores the old value, NaN included.
            sums[c] = T.CreateTruncating(beta == 0 ? total : (beta * double.CreateTruncating(sums[c])) + total);
        }
    }

    private static void SoftmaxKernel<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int columns, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (columns == 0)
        {
            return;
        }
        // For log-softmax the sum of exponentials is taken through this scratch buffer so that y is
        // written only once the whole row of x has been read (y may be x).
        Span<T> scratch = stackalloc T[256];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * columns, columns);
            Span<T> yr = y.Slice(r * columns, columns);
            T max = TensorPrimitives.Max(xr);
            if (!log)
            {
                TensorPrimitives.Subtract(xr, max, yr);
                TensorPrimitives.Exp(yr, yr);
                T sum = T.CreateTruncating(SumAsDouble<T>(yr));
                TensorPrimitives.Divide(yr, sum, yr);
            }
            else
            {
                double sum = 0;
                for (int start = 0; start < columns; start += scratch.Length)
                {
                    int length = Math.Min(scratch.Length, columns - start);
                    Span<T> chunk = scratch[..length];
                    TensorPrimitives.Subtract(xr.Slice(start, length), max, chunk);
                    TensorPrimitives.Exp(chunk, chunk);
                    sum += SumAsDouble<T>(chunk);
                }
                T logSum = T.CreateTruncating(Math.Log(sum));
                TensorPrimitives.Subtract(xr, max, yr);
                TensorPrimitives.Subtract(yr, logSum, yr);
            }
        }
    }

    /// <summary>Σ x accumulated in double (floats are widened, eight lanes at a time or more).</summary>
    private static double SumAsDouble<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
        {
            return TensorPrimitives.Sum(MemoryMarshal.Cast<T, double>(x));
        }
        ReadOnlySpan<float> values = MemoryMarshal.Cast<T, float>(x);
        int width = Vector<float>.Count;
        var low = Vector<double>.Zero;
        var high = Vector<double>.Zero;
        int i = 0;
        for (; i <= values.Length - width; i += width)
        {
            Vector.Widen(new Vector<float>(values[i..]), out Vector<double> lo, out Vector<double> hi);
            low += lo;
            high += hi;
        }
        double total = Vector.Sum(low + high);
        for (; i < values.Length; i++)
        {
            total += values[i];
        }
        return total;
    }
}
