namespace Engine;

/// <summary>Per-channel ops, sums and row-wise softmax.</summary>
public static partial class BackendContract
{
    /// <summary>
    /// <see cref="IBackend.AddChannelBias"/>: y (N×C×…, at least two dimensions) and bias (C elements)
    /// are floating-point operands of one data type that do not share memory.
    /// </summary>
    /// <returns>N, C and the positions per channel (S) of y.</returns>
    public static (int Batch, int Channels, int Spatial) AddChannelBias(IBackend backend, Tensor y, Tensor bias)
    {
        const string op = "AddChannelBias";
        Operand(backend, op, "y", y);
        Written(y);
        Operand(backend, op, "bias", bias);
        SameType(op, "y", y, "bias", bias);
        var layout = Channels(op, "y", y);
        if (bias.ElementCount != layout.Channels)
        {
            throw new ShapeException($"{op}: y is {y.Shape} with {layout.Channels} channels but bias {Describe(bias)}");
        }
        NotShared(op, "y", y, "bias", bias);
        return layout;
    }

    /// <summary>
    /// <see cref="IBackend.SumChannels"/>: x (N×C×…) and sums (C elements) are floating-point
    /// operands of one data type that do not share memory. With β = 0 the old sums are ignored, NaNs
    /// included; sums over positions are accumulated in double.
    /// </summary>
    /// <returns>N, C and S of x.</returns>
    public static (int Batch, int Channels, int Spatial) SumChannels(IBackend backend, Tensor x, Tensor sums, double beta)
    {
        const string op = "SumChannels";
        Operand(backend, op, "x", x);
        Operand(backend, op, "sums", sums);
        Written(sums);
        SameType(op, "x", x, "sums", sums);
        var layout = Channels(op, "x", x);
        if (sums.ElementCount != layout.Channels)
        {
            throw new ShapeException($"{op}: x is {x.Shape} with {layout.Channels} channels but sums {Describe(sums)}");
        }
        NotShared(op, "x", x, "sums", sums);
        return layout;
    }

    /// <summary>
    /// <see cref="IBackend.Sum"/>: x and result are floating-point operands of one data type and
    /// result has one element. The sum is accumulated in double for both data types.
    /// </summary>
    public static void Sum(IBackend backend, Tensor x, Tensor result)
    {
        const string op = "Sum";
        Operand(backend, op, "x", x);
        Operand(backend, op, "result", result);
        Written(result);
        SameType(op, "x", x, "result", result);
        if (result.ElementCount != 1)
        {
            throw new ShapeException($"{op}: result {Describe(result)} but must be a one-element tensor");
        }
    }

    /// <summary>
    /// <see cref="IBackend.Softmax"/>: x and y are floating-point operands of one data type and
    /// element count; rows and columns come from x's matrix view; y may be x. softmax =
    /// exp(x − max) / Σ exp(x − max); log-softmax = x − max − log Σ exp(x − max).
    /// </summary>
    /// <returns>The rows and columns of x's matrix view.</returns>
    public static (int Rows, int Columns) Softmax(IBackend backend, Tensor x, Tensor y, bool log)
    {
        string op = log ? "Softmax(log)" : "Softmax";
        Operand(backend, op, "x", x);
        Operand(backend, op, "y", y);
        Written(y);
        SameType(op, "x", x, "y", y);
        SameCount(op, "x", x, "y", y);
        return x.Shape.AsMatrix();
    }

    /// <summary>
    /// <see cref="IBackend.SoftmaxBackward"/>: y, dy and dx are floating-point operands of one data
    /// type and element count; rows and columns come from y's matrix view; dx may be dy or y.
    /// </summary>
    /// <returns>The rows and columns of y's matrix view.</returns>
    public static (int Rows, int Columns) SoftmaxBackward(IBackend backend, Tensor y, Tensor dy, Tensor dx, bool log)
    {
        string op = log ? "SoftmaxBackward(log)" : "SoftmaxBackward";
        Operand(backend, op, "y", y);
        Operand(backend, op, "dy", dy);
        Operand(backend, op, "dx", dx);
        Written(dx);
        SameType(op, "y", y, "dy", dy);
        SameType(op, "y", y, "dx", dx);
        SameCount(op, "y", y, "dy", dy);
        SameCount(op, "y", y, "dx", dx);
        return y.Shape.AsMatrix();
    }

    /// <summary>
    /// <see cref="IBackend.CopyChannels"/>: source and destination are floating-point operands of one
    /// data type, both N×C×… with the same N and positions per channel, and each channel range fits
    /// its tensor. Overlapping ranges of one tensor are copied as memmove would.
    /// </summary>
    /// <returns>N, the channels of source and of destination, and S.</returns>
    public static (int Batch, int SourceChannels, int DestinationChannels, int Spatial) CopyChannels(
        IBackend backend, Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels)
    {
        const string op = "CopyChannels";
        Operand(backend, op, "source", source);
        Operand(backend, op, "destination", destination);
        Written(destination);
        SameType(op, "source", source, "destination", destination);
        (int batch, int sourceChannels, int spatial) = Channels(op, "source", source);
        (int destinationBatch, int destinationChannels, int destinationSpatial) = Channels(op, "destination", destination);
        if (batch != destinationBatch || spatial != destinationSpatial)
        {
            throw new ShapeException(
                $"{op}: source {source.Shape} has N = {batch} and {spatial} positions per channel but destination {destination.Shape} has N = {destinationBatch} and {destinationSpatial}; they must match");
        }
        ChannelRange(op, "source", source, sourceOffset, channels, sourceChannels);
        ChannelRange(op, "destination", destination, destinationOffset, channels, destinationChannels);
        return (batch, sourceChannels, destinationChannels, spatial);
    }

    /// <summary>
    /// <see cref="IBackend.ScaleChannels"/>: x, scale (C elements) and y (x's element count) are
    /// floating-point operands of one data type; y may be x but must not share memory with scale
    /// (y is written while scale is still being read).
    /// </summary>
    /// <returns>N, C and S of x.</returns>
    public static (int Batch, int Channels, int Spatial) ScaleChannels(IBackend backend, Tensor x, Tensor scale, Tensor y)
    {
        const string op = "ScaleChannels";
        Operand(backend, op, "x", x);
        Operand(backend, op, "scale", scale);
        Operand(backend, op, "y", y);
        Written(y);
        SameType(op, "x", x, "scale", scale);
        SameType(op, "x", x, "y", y);
        SameCount(op, "x", x, "y", y);
        var layout = Channels(op, "x", x);
        if (scale.ElementCount != layout.Channels)
        {
            throw new ShapeException($"{op}: x is {x.Shape} with {layout.Channels} channels but scale {Describe(scale)}");
        }
        NotShared(op, "scale", scale, "y", y);
        return layout;
    }

    private static void ChannelRange(string op, string name, Tensor tensor, int offset, int count, int channels)
    {
        if (offset < 0 || count < 0 || (long)offset + count > channels)
        {
            throw new ArgumentOutOfRangeException(name,
                $"{op}: {count} channels from offset {offset} do not fit in {name} {tensor.Shape}, which has {channels} channels");
        }
    }
}
