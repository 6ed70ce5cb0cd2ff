using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Activation forward with a parameter, softmax backward, channel-range copies and per-channel
/// scaling. Generic kernels over float and double; none allocates (scratch lives on the stack).
/// </summary>
public sealed partial class OpenBlasBackend
{
    private static readonly OpNameTable<Activation> ActivationForwardNames = new("ActivationForward");

    // Chunk length of the stack scratch used where a kernel needs an intermediate that must not be
    // written into y yet (y may alias x). 256 elements keep the stack use at 2 KiB for double.
    private const int ScratchLength = 256;

    /// <inheritdoc/>
    public void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0)
    {
        string name = ActivationForwardNames[activation];
        CpuStorage xs = Check(name, "x", x);
        CpuStorage ys = Check(name, "y", y);
        SameType(name, "x", x, "y", y);
        SameCount(name, "x", x, "y", y);
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "ActivationForward: unknown activation");
        }
        if (!double.IsFinite(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"{name}: alpha must be finite");
        }
        int n = (int)x.ElementCount;
        unsafe
        {
            if (x.DataType == DataType.Float32)
            {
                ParallelActivationForward(activation, (float*)xs.Pointer, (float*)ys.Pointer, n, (float)alpha);
            }
            else
            {
                ParallelActivationForward(activation, (double*)xs.Pointer, (double*)ys.Pointer, n, alpha);
            }
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
    }

    /// <inheritdoc/>
    /// <remarks>Rows and columns come from y's matrix view; dx may alias dy or y.</remarks>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false)
    {
        string op = log ? "SoftmaxBackward(log)" : "SoftmaxBackward";
        CpuStorage ys = Check(op, "y", y);
        CpuStorage dys = Check(op, "dy", dy);
        CpuStorage dxs = Check(op, "dx", dx);
        SameType(op, "y", y, "dy", dy);
        SameType(op, "y", y, "dx", dx);
        SameCount(op, "y", y, "dy", dy);
        SameCount(op, "y", y, "dx", dx);
        (int rows, int columns) = y.Shape.AsMatrix();
        int n = (int)y.ElementCount;
        if (y.DataType == DataType.Float32)
        {
            SoftmaxBackwardKernel<float>(Elements<float>(ys, n), Elements<float>(dys, n), Elements<float>(dxs, n), rows, columns, log);
        }
        else
        {
            SoftmaxBackwardKernel<double>(Elements<double>(ys, n), Elements<double>(dys, n), Elements<double>(dxs, n), rows, columns, log);
        }
        GC.KeepAlive(ys);
        GC.KeepAlive(dys);
        GC.KeepAlive(dxs);
    }

    /// <inheritdoc/>
    /// <remarks>Overlapping ranges of one tensor are copied as memmove would.</remarks>
    public void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels)
    {
        const string op = "CopyChannels";
        CpuStorage ss = Check(op, "source", source);
        CpuStorage ds = Check(op, "destination", destination);
        SameType(op, "source", source, "destination", destination);
        (int batch, int sourceChannels, int spatial) = ChannelLayout(op, "source", source);
        (int destinationBatch, int destinationChannels, int destinationSpatial) = ChannelLayout(op, "destination", destination);
        if (batch != destinationBatch || spatial != destinationSpatial)
        {
            throw new ShapeException(
                $"{op}: source {source.Shape} has N = {batch} and {spatial} positions per channel but destination {destination.Shape} has N = {destinationBatch} and {destinationSpatial}; they must match");
        }
        ChannelRange(op, "source", source, sourceOffset, channels, sourceChannels);
        ChannelRange(op, "destination", destination, destinationOffset, channels, destinationChannels);
        int sourceCount = (int)source.ElementCount;
        int destinationCount = (int)destination.ElementCount;
        if (source.DataType == DataType.Float32)
        {
            CopyChannelsKernel<float>(Elements<float>(ss, sourceCount), sourceChannels, sourceOffset,
                Elements<float>(ds, destinationCount), destinationChannels, destinationOffset, batch, channels, spatial);
        }
        else
        {
            CopyChannelsKernel<double>(Elements<double>(ss, sourceCount), sourceChannels, sourceOffset,
                Elements<double>(ds, destinationCount), destinationChannels, destinationOffset, batch, channels, spatial);
        }
        GC.KeepAlive(ss);
        GC.KeepAlive(ds);
    }

    /// <inheritdoc/>
    public void ScaleChannels(Tensor x, Tensor scale, Tensor y)
    {
        const string op = "ScaleChannels";
        CpuStorage xs = Check(op, "x", x);
        CpuStorage ss = Check(op, "scale", scale);
        CpuStorage ys = Check(op, "y", y);
        SameType(op, "x", x, "scale", scale);
        SameType(op, "x", x, "y", y);
        SameCount(op, "x", x, "y", y);
        (int batch, int channels, int spatial) = ChannelLayout(op, "x", x);
        if (scale.ElementCount != channels)
        {
            throw new ShapeException($"{op}: x is {x.Shape} with {channels} channels but scale {Describe(scale)}");
        }
        // y is written while scale is still being read, so the two must be distinct blocks.
        NotShared(op, "scale", ss, "y", ys);
        int n = (int)x.ElementCount;
        if (x.DataType == DataType.Float32)
        {
            ScaleChannelsKernel<float>(Elements<float>(xs, n), Elements<float>(ss, channels), Elements<float>(ys, n), batch, channels, spatial);
        }
        else
        {
            ScaleChannelsKernel<double>(Elements<double>(xs, n), Elements<double>(ss, channels), Elements<double>(ys, n), batch, channels, spatial);
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ss);
        GC.KeepAlive(ys);
    }

    private static void ChannelRange(string op, string name, Tensor tensor, int offset, int count, int channels)
    {
        if (offset < 0 || count < 0 || (long)offset + count > channels)
        {
            throw new ArgumentOutOfRangeException(name,
                $"{op}: {count} channels from offset {offset} do not fit in {name} {tensor.Shape}, which has {channels} channels");
        }
    }

    private static void ActivationForwardKernel<T>(Activation activation, ReadOnlySpan<T> x, Span<T> y, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Relu:
                TensorPrimitives.Max(x, T.Zero, y);
                break;
            case Activation.Sigmoid:
                TensorPrimitives.Sigmoid(x, y);
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(x, y);
                break;
            case Activation.LeakyRelu:
                LeakyReluKernel(x, y, alpha);
                break;
            case Activation.Elu:
                EluKernel(x, y, alpha);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "ActivationForward: unknown activation");
        }
    }

    // A select rather than max(x, αx), which is right only for 0 ≤ α ≤ 1.
    private static void LeakyReluKernel<T>(ReadOnlySpan<T> x, Span<T> y, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length;
        int width = Vector<T>.Count;
        int i = 0;
        for (; i <= n - width; i += width)
        {
            var xv = new Vector<T>(x[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(xv, Vector<T>.Zero), xv, xv * alpha).CopyTo(y[i..]);
        }
        for (; i < n; i++)
        {
            y[i] = x[i] > T.Zero ? x[i] : alpha * x[i];
        }
    }

    // ELU as max(x, 0) + α(e^min(x, 0) − 1): each term vanishes on the other side of 0, so there is
    // no select, and the exponential never overflows. The second term goes through a stack chunk
    // because y may be x.
    private static void EluKernel<T>(ReadOnlySpan<T> x, Span<T> y, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> scratch = stackalloc T[ScratchLength];
        for (int start = 0; start < y.Length; start += ScratchLength)
        {
            int length = Math.Min(ScratchLength, y.Length - start);
            ReadOnlySpan<T> xc = x.Slice(start, length);
            Span<T> yc = y.Slice(start, length);
            Span<T> negative = scratch[..length];
            TensorPrimitives.Min(xc, T.Zero, negative);
            TensorPrimitives.Exp(negative, negative);
            TensorPrimitives.Multiply(negative, alpha, negative);
            TensorPrimitives.Subtract(negative, alpha, negative);
            TensorPrimitives.Max(xc, T.Zero, yc);
            TensorPrimitives.Add(yc, negative, yc);
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
                T sum = T.CreateTruncating(SumAsDouble(dyr));
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
