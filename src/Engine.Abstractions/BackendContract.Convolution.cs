namespace Engine;

/// <summary>
/// The six windowed ops: convolution and locally connected, each forward, backward data and
/// backward filter. Every pass touches the same three operands: the input side (x, or dx written by
/// backward data), the filters (w, or dw written by backward filter) and the output side (y written
/// by forward, or dy); only which one is written and what they are called differ.
/// </summary>
public static partial class BackendContract
{
    /// <summary>Which product a windowed call computes, and so which operand it writes.</summary>
    private enum WindowPass
    {
        Forward,
        BackwardData,
        BackwardFilter,
    }

    /// <summary>
    /// <see cref="IBackend.ConvolutionForward"/>: x (N×C×spatial, rank + 2 dimensions), w
    /// (K×C/groups×kernel) and y (N×K×out spatial, out per axis from
    /// <see cref="ConvolutionGeometry.OutputSize"/>) are floating-point operands of one data type;
    /// groups divide C and K; the window fits every padded axis; y shares memory with neither x nor w.
    /// Semantics: cross-correlation (no kernel flip), padding reads as zero, y is overwritten (an
    /// empty problem writes zeros).
    /// </summary>
    public static void ConvolutionForward(IBackend backend, ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) =>
        Windowed(backend, "ConvolutionForward", WindowPass.Forward, locallyConnected: false, geometry, x, w, y);

    /// <summary>
    /// <see cref="IBackend.ConvolutionBackwardData"/>: shapes as <see cref="ConvolutionForward"/> with
    /// dx in place of x and dy of y; dx (overwritten) shares memory with neither dy nor w.
    /// </summary>
    public static void ConvolutionBackwardData(IBackend backend, ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) =>
        Windowed(backend, "ConvolutionBackwardData", WindowPass.BackwardData, locallyConnected: false, geometry, dx, w, dy);

    /// <summary>
    /// <see cref="IBackend.ConvolutionBackwardFilter"/>: shapes as <see cref="ConvolutionForward"/>
    /// with dw in place of w and dy of y; dw (overwritten, not accumulated) shares memory with
    /// neither x nor dy.
    /// </summary>
    public static void ConvolutionBackwardFilter(IBackend backend, ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) =>
        Windowed(backend, "ConvolutionBackwardFilter", WindowPass.BackwardFilter, locallyConnected: false, geometry, x, dw, dy);

    /// <summary>
    /// <see cref="IBackend.LocallyConnectedForward"/>: the geometry has 2 spatial axes and groups 1;
    /// x is N×C×H×W, w is P×K×(C·kh·kw) with P = out_h·out_w positions in row-major order, y is
    /// N×K×out_h×out_w; one data type; y shares memory with neither x nor w. Row r of a position's
    /// filter matrix is tap (c, kh, kw) in that order, as im2col lays it out.
    /// </summary>
    public static void LocallyConnectedForward(IBackend backend, ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) =>
        Windowed(backend, "LocallyConnectedForward", WindowPass.Forward, locallyConnected: true, geometry, x, w, y);

    /// <summary>
    /// <see cref="IBackend.LocallyConnectedBackwardData"/>: shapes as
    /// <see cref="LocallyConnectedForward"/>; dx (overwritten) shares memory with neither dy nor w.
    /// </summary>
    public static void LocallyConnectedBackwardData(IBackend backend, ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) =>
        Windowed(backend, "LocallyConnectedBackwardData", WindowPass.BackwardData, locallyConnected: true, geometry, dx, w, dy);

    /// <summary>
    /// <see cref="IBackend.LocallyConnectedBackwardFilter"/>: shapes as
    /// <see cref="LocallyConnectedForward"/>; dw (overwritten) shares memory with neither x nor dy.
    /// </summary>
    public static void LocallyConnectedBackwardFilter(IBackend backend, ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) =>
        Windowed(backend, "LocallyConnectedBackwardFilter", WindowPass.BackwardFilter, locallyConnected: true, geometry, x, dw, dy);

    private static void Windowed(IBackend backend, string op, WindowPass pass, bool locallyConnected, ConvolutionGeometry geometry,
        Tensor input, Tensor filters, Tensor output)
    {
        string inputName = pass == WindowPass.BackwardData ? "dx" : "x";
        string filtersName = pass == WindowPass.BackwardFilter ? "dw" : "w";
        string outputName = pass == WindowPass.Forward ? "y" : "dy";
        Operand(backend, op, inputName, input);
        Operand(backend, op, filtersName, filters);
        Operand(backend, op, outputName, output);
        SameType(op, inputName, input, filtersName, filters);
        SameType(op, inputName, input, outputName, output);
        Span<int> outputSizes = stackalloc int[3];
        int filterCount = locallyConnected
            ? LocallyConnectedShapes(op, geometry, input, inputName, filters, filtersName, outputSizes)
            : ConvolutionShapes(op, geometry, input, inputName, filters, filtersName, outputSizes);
        WindowOutput(op, geometry, input.Shape[0], outputSizes, output, outputName, filterCount, filtersName);

        // The written operand must not share memory with the two it reads.
        switch (pass)
        {
            case WindowPass.Forward:
                NotShared(op, outputName, output, inputName, input);
                NotShared(op, outputName, output, filtersName, filters);
                break;
            case WindowPass.BackwardData:
                NotShared(op, inputName, input, outputName, output);
                NotShared(op, inputName, input, filtersName, filters);
                break;
            default:
                NotShared(op, filtersName, filters, inputName, input);
                NotShared(op, filtersName, filters, outputName, output);
                break;
        }
        Written(pass switch { WindowPass.Forward => output, WindowPass.BackwardData => input, _ => filters });
    }

    /// <summary>
    /// Checks x (N×C×spatial) against the geometry and writes the output size of each spatial axis.
    /// Errors name the op, the operand, its shape and the numbers.
    /// </summary>
    private static void WindowInput(string op, ConvolutionGeometry geometry, Tensor x, string xName, Span<int> outputSizes)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        int rank = geometry.SpatialRank;
        Shape shape = x.Shape;
        if (shape.Rank != rank + 2)
        {
            throw new ShapeException($"{op}: {xName} is {shape} but a window over {rank} spatial axes needs N×C×{rank} spatial axes ({rank + 2} dimensions); {geometry}");
        }
        if (shape[1] % geometry.Groups != 0)
        {
            throw new ShapeException($"{op}: {xName} is {shape} with {shape[1]} channels, which groups {geometry.Groups} does not divide");
        }
        for (int i = 0; i < rank; i++)
        {
            try
            {
                outputSizes[i] = ConvolutionGeometry.OutputSize(shape[i + 2], geometry.Kernel[i], geometry.Stride[i], geometry.PadBefore[i], geometry.PadAfter[i], geometry.Dilation[i]);
            }
            catch (ShapeException e)
            {
                throw new ShapeException($"{op}: {xName} is {shape}, spatial axis {i}: {e.Message}");
            }
        }
    }

    /// <summary>Validates the input side and the filters (K×C/groups×kernel); returns K.</summary>
    private static int ConvolutionShapes(string op, ConvolutionGeometry geometry, Tensor x, string xName, Tensor w, string wName, Span<int> outputSizes)
    {
        WindowInput(op, geometry, x, xName, outputSizes);
        int rank = geometry.SpatialRank;
        int channels = x.Shape[1];
        int perGroup = channels / geometry.Groups;
        Shape shape = w.Shape;
        bool ok = shape.Rank == rank + 2 && shape[1] == perGroup;
        for (int i = 0; ok && i < rank; i++)
        {
            ok = shape[i + 2] == geometry.Kernel[i];
        }
        if (!ok)
        {
            string expected = "[" + string.Join(", ", new object[] { "K", perGroup }.Concat(geometry.Kernel.Cast<object>())) + "]";
            throw new ShapeException($"{op}: {wName} is {shape} but {xName} has {channels} channels and groups {geometry.Groups} (expected {expected})");
        }
        if (shape[0] % geometry.Groups != 0)
        {
            throw new ShapeException($"{op}: {wName} is {shape} with {shape[0]} filters, which groups {geometry.Groups} does not divide");
        }
        return shape[0];
    }

    /// <summary>Validates the geometry (2 axes, groups 1), the input side and w (P×K×C·kh·kw); returns K.</summary>
    private static int LocallyConnectedShapes(string op, ConvolutionGeometry geometry, Tensor x, string xName, Tensor w, string wName, Span<int> outputSizes)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (geometry.SpatialRank != 2 || geometry.Groups != 1)
        {
            throw new ShapeException($"{op}: locally connected layers take 2 spatial axes and groups 1, got {geometry.SpatialRank} axes and groups {geometry.Groups}");
        }
        WindowInput(op, geometry, x, xName, outputSizes);
        int channels = x.Shape[1];
        int positions = outputSizes[0] * outputSizes[1], rows = channels * geometry.Kernel[0] * geometry.Kernel[1];
        Shape shape = w.Shape;
        if (shape.Rank != 3 || shape[0] != positions || shape[2] != rows)
        {
            throw new ShapeException(
                $"{op}: {wName} is {shape} but expected [{positions}, K, {rows}] (P = out_h·out_w = {outputSizes[0]}·{outputSizes[1]} positions, " +
                $"C·kh·kw = {channels}·{geometry.Kernel[0]}·{geometry.Kernel[1]} for {xName} {x.Shape})");
        }
        return shape[1];
    }

    /// <summary>Checks that <paramref name="tensor"/> is N×<paramref name="channels"/>×(output spatial).</summary>
    private static void WindowOutput(string op, ConvolutionGeometry geometry, int batch, ReadOnlySpan<int> outputSizes, Tensor tensor, string name,
        int channels, string channelsFrom)
    {
        int rank = geometry.SpatialRank;
        Shape shape = tensor.Shape;
        bool ok = shape.Rank == rank + 2 && shape[0] == batch && shape[1] == channels;
        for (int i = 0; ok && i < rank; i++)
        {
            ok = shape[i + 2] == outputSizes[i];
        }
        if (!ok)
        {
            var dims = new int[rank + 2];
            dims[0] = batch;
            dims[1] = channels;
            outputSizes[..rank].CopyTo(dims.AsSpan(2));
            throw new ShapeException($"{op}: {name} is {shape} but expected [{string.Join(", ", dims)}] (batch {batch}, {channels} channels from {channelsFrom}, output size from {geometry})");
        }
    }
}
