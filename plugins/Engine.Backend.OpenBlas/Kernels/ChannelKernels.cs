using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Per-channel bias, sums and scaling, channel-range copies, the total sum and row-wise softmax.
/// Generic kernels over float and double; none allocates (scratch lives on the stack).
/// </summary>
internal static class ChannelKernels
{
    // Chunk length of the stack scratch used where a kernel needs an intermediate that must not be
    // written into y yet (y may alias x). 256 elements keep the stack use at 2 KiB for double.
    private const int ScratchLength = 256;

    /// <summary>y[n, c, …] += bias[c].</summary>
    public static void AddChannelBias(DataType type, nint y, nint bias, int batch, int channels, int spatial)
    {
        int n = batch * channels * spatial;
        if (type == DataType.Float32)
        {
            AddChannelBiasKernel<float>(NativeSpan.Of<float>(y, n), NativeSpan.Of<float>(bias, channels), batch, channels, spatial);
        }
        else
        {
            AddChannelBiasKernel<double>(NativeSpan.Of<double>(y, n), NativeSpan.Of<double>(bias, channels), batch, channels, spatial);
        }
    }

    /// <summary>sums[c] ← β·sums[c] + Σ x[·, c, …].</summary>
    public static void SumChannels(DataType type, nint x, nint sums, int batch, int channels, int spatial, double beta)
    {
        int n = batch * channels * spatial;
        if (type == DataType.Float32)
        {
            SumChannelsKernel<float>(NativeSpan.Of<float>(x, n), NativeSpan.Of<float>(sums, channels), batch, channels, spatial, beta);
        }
        else
        {
            SumChannelsKernel<double>(NativeSpan.Of<double>(x, n), NativeSpan.Of<double>(sums, channels), batch, channels, spatial, beta);
        }
    }

    /// <summary>result[0] ← Σ x, accumulated in double for both data types.</summary>
    public static void Sum(DataType type, nint x, int count, nint result)
    {
        if (type == DataType.Float32)
        {
            NativeSpan.Of<float>(result, 1)[0] = (float)VectorMath.SumAsDouble<float>(NativeSpan.Of<float>(x, count));
        }
        else
        {
            NativeSpan.Of<double>(result, 1)[0] = VectorMath.SumAsDouble<double>(NativeSpan.Of<double>(x, count));
        }
    }

    /// <summary>Row-wise (log-)softmax; y may be x.</summary>
    public static void Softmax(DataType type, nint x, nint y, int rows, int columns, bool log)
    {
        int n = rows * columns;
        if (type == DataType.Float32)
        {
            SoftmaxKernel<float>(NativeSpan.Of<float>(x, n), NativeSpan.Of<float>(y, n), rows, columns, log);
        }
        else
        {
            SoftmaxKernel<double>(NativeSpan.Of<double>(x, n), NativeSpan.Of<double>(y, n), rows, columns, log);
        }
    }

    /// <summary>dx ← (log-)softmax gradient of rows; dx may be dy or y.</summary>
    public static void SoftmaxBackward(DataType type, nint y, nint dy, nint dx, int rows, int columns, bool log)
    {
        int n = rows * columns;
        if (type == DataType.Float32)
        {
            SoftmaxBackwardKernel<float>(NativeSpan.Of<float>(y, n), NativeSpan.Of<float>(dy, n), NativeSpan.Of<float>(dx, n), rows, columns, log);
        }
        else
        {
            SoftmaxBackwardKernel<double>(NativeSpan.Of<double>(y, n), NativeSpan.Of<double>(dy, n), NativeSpan.Of<double>(dx, n), rows, columns, log);
        }
    }

    /// <summary>Copies a channel range of every sample; overlapping ranges of one tensor move as memmove would.</summary>
    public static void CopyChannels(DataType type, nint source, int sourceChannels, int sourceOffset,
        nint destination, int destinationChannels, int destinationOffset, int batch, int channels, int spatial)
    {
        int sourceCount = batch * sourceChannels * spatial, destinationCount = batch * destinationChannels * spatial;
        if (type == DataType.Float32)
        {
            CopyChannelsKernel<float>(NativeSpan.Of<float>(source, sourceCount), sourceChannels, sourceOffset,
                NativeSpan.Of<float>(destination, destinationCount), destinationChannels, destinationOffset, batch, channels, spatial);
        }
        else
        {
            CopyChannelsKernel<double>(NativeSpan.Of<double>(source, sourceCount), sourceChannels, sourceOffset,
                NativeSpan.Of<double>(destination, destinationCount), destinationChannels, destinationOffset, batch, channels, spatial);
        }
    }

    /// <summary>y[n, c, …] ← x[n, c, …]·scale[c]; y may be x.</summary>
    public static void ScaleChannels(DataType type, nint x, nint scale, nint y, int batch, int channels, int spatial)
    {
        int n = batch * channels * spatial;
        if (type == DataType.Float32)
        {
            ScaleChannelsKernel<float>(NativeSpan.Of<float>(x, n), NativeSpan.Of<float>(scale, channels), NativeSpan.Of<float>(y, n), batch, channels, spatial);
        }
        else
        {
            ScaleChannelsKernel<double>(NativeSpan.Of<double>(x, n), NativeSpan.Of<double>(scale, channels), NativeSpan.Of<double>(y, n), batch, channels, spatial);
        }
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
                total += VectorMath.SumAsDouble(x.Slice(((i * channels) + c) * spatial, spatial));
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
                T sum = T.CreateTruncating(VectorMath.SumAsDouble<T>(yr));
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
                    sum += VectorMath.SumAsDouble<T>(chunk);
                }
                T logSum = T.CreateTruncating(Math.Log(sum));
                TensorPrimitives.Subtract(xr, max, yr);
                TensorPrimitives.Subtract(yr, logSum, yr);
            }
        }
    }

    private static void SoftmaxBackwardKernel<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rows, int columns, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (columns == 0)
        {
            return;
        }
        Span<T> scratch = stackalloc T[ScratchLength];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> yr = y.Slice(r * columns, columns);
            ReadOnlySpan<T> dyr = dy.Slice(r * columns, columns);
            Span<T> dxr = dx.Slice(r * columns, columns);
            if (!log)
            {
                // dx = (dy − Σ dy·y)·y in one element-wise pass, so dx may be dy or y.
                T dot = TensorPrimitives.Dot(dyr, yr);
                TensorPrimitives.AddMultiply(dyr, -dot, yr, dxr);
            }
            else
            {
                // dx = dy − e^y·Σ dy; e^y goes through a stack chunk because dx may be y or dy.
                T sum = T.CreateTruncating(VectorMath.SumAsDouble(dyr));
                for (int start = 0; start < columns; start += ScratchLength)
                {
                    int length = Math.Min(ScratchLength, columns - start);
                    Span<T> probabilities = scratch[..length];
                    TensorPrimitives.Exp(yr.Slice(start, length), probabilities);
                    TensorPrimitives.MultiplyAdd(probabilities, -sum, dyr.Slice(start, length), dxr.Slice(start, length));
                }
            }
        }
    }

    private static void CopyChannelsKernel<T>(ReadOnlySpan<T> source, int sourceChannels, int sourceOffset,
        Span<T> destination, int destinationChannels, int destinationOffset, int batch, int channels, int spatial)
        where T : unmanaged
    {
        // Within one sample the channel range is contiguous, so each sample is one block copy.
        int block = channels * spatial;
        for (int i = 0; i < batch; i++)
        {
            source.Slice(((i * sourceChannels) + sourceOffset) * spatial, block)
                .CopyTo(destination.Slice(((i * destinationChannels) + destinationOffset) * spatial, block));
        }
    }

    private static void ScaleChannelsKernel<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> scale, Span<T> y, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (spatial == 1)
        {
            // N×C: multiply each row by the scale vector.
            for (int i = 0; i < batch; i++)
            {
                TensorPrimitives.Multiply(x.Slice(i * channels, channels), scale, y.Slice(i * channels, channels));
            }
            return;
        }
        for (int i = 0; i < batch; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                int start = ((i * channels) + c) * spatial;
                TensorPrimitives.Multiply(x.Slice(start, spatial), scale[c], y.Slice(start, spatial));
            }
        }
    }
}
