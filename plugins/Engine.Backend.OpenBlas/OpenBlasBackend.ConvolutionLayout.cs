namespace Engine.Backend.OpenBlas;

/// <summary>
/// One spatial axis of a convolution: input and output length, window, step, zeros before, tap spacing.
/// </summary>
internal readonly record struct ConvolutionAxis(int Input, int Output, int Kernel, int Stride, int Pad, int Dilation)
{
    /// <summary>An axis that does nothing (length 1, window 1): how 1-D and 2-D problems become 3-D.</summary>
    public static ConvolutionAxis Unit => new(1, 1, 1, 1, 0, 1);

    /// <summary>Whether the window is a single tap that visits every input element once, in order.</summary>
    public bool IsIdentity => Kernel == 1 && Stride == 1 && Pad == 0 && Input == Output;
}

/// <summary>
/// The validated sizes of one convolution call, with every problem seen as 3-D (missing leading
/// spatial axes have length 1), so a single im2col/col2im serves 1, 2 and 3 spatial axes. A plain
/// struct: building one per call allocates nothing.
/// </summary>
internal readonly record struct ConvolutionLayout(
    int Batch, int Channels, int Filters, int Groups, ConvolutionAxis Depth, ConvolutionAxis Height, ConvolutionAxis Width)
{
    /// <summary>Input channels per group.</summary>
    public int ChannelsPerGroup => Channels / Groups;

    /// <summary>Filters (output channels) per group.</summary>
    public int FiltersPerGroup => Filters / Groups;

    /// <summary>Taps in one window.</summary>
    public int KernelVolume => Depth.Kernel * Height.Kernel * Width.Kernel;

    /// <summary>Elements of one input channel.</summary>
    public int InputSize => Depth.Input * Height.Input * Width.Input;

    /// <summary>Elements of one output channel: the columns of the column matrix.</summary>
    public int OutputSize => Depth.Output * Height.Output * Width.Output;

    /// <summary>Rows of one group's block of the column matrix (and columns of its filter matrix).</summary>
    public int GroupRows => ChannelsPerGroup * KernelVolume;

    /// <summary>Rows of the whole column matrix: every channel × every tap.</summary>
    public int ColumnRows => Channels * KernelVolume;

    /// <summary>
    /// A 1×1 window with stride 1 and no padding: the column matrix of a sample is the sample itself,
    /// so im2col and col2im can be skipped.
    /// </summary>
    public bool IsPointwise => Depth.IsIdentity && Height.IsIdentity && Width.IsIdentity;

    /// <summary>
    /// Checks x (N×C×spatial) against the geometry and returns the layout with <see cref="Filters"/>
    /// still 0. Errors name the op, the operand, its shape and the numbers.
    /// </summary>
    public static ConvolutionLayout FromInput(string op, ConvolutionGeometry geometry, Tensor x, string xName)
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
        Span<ConvolutionAxis> axes = [ConvolutionAxis.Unit, ConvolutionAxis.Unit, ConvolutionAxis.Unit];
        for (int i = 0; i < rank; i++)
        {
            int input = shape[i + 2];
            int output;
            try
            {
                output = ConvolutionGeometry.OutputSize(input, geometry.Kernel[i], geometry.Stride[i], geometry.PadBefore[i], geometry.PadAfter[i], geometry.Dilation[i]);
            }
            catch (ShapeException e)
            {
                throw new ShapeException($"{op}: {xName} is {shape}, spatial axis {i}: {e.Message}");
            }
            axes[3 - rank + i] = new ConvolutionAxis(input, output, geometry.Kernel[i], geometry.Stride[i], geometry.PadBefore[i], geometry.Dilation[i]);
        }
        return new ConvolutionLayout(shape[0], shape[1], 0, geometry.Groups, axes[0], axes[1], axes[2]);
    }

    /// <summary>Checks that <paramref name="tensor"/> is N×<paramref name="channels"/>×(output spatial) of this layout.</summary>
    public void CheckOutput(string op, ConvolutionGeometry geometry, Tensor tensor, string name, int channels, string channelsFrom)
    {
        int rank = geometry.SpatialRank;
        Shape shape = tensor.Shape;
        bool ok = shape.Rank == rank + 2 && shape[0] == Batch && shape[1] == channels;
        for (int i = 0; ok && i < rank; i++)
        {
            ok = shape[i + 2] == Axis(rank, i).Output;
        }
        if (!ok)
        {
            throw new ShapeException($"{op}: {name} is {shape} but expected {Describe(OutputDims(rank, channels))} (batch {Batch}, {channels} channels from {channelsFrom}, output size from {geometry})");
        }
    }

    /// <summary>Per-axis output sizes N×channels×out as an array, for error messages only.</summary>
    public int[] OutputDims(int rank, int channels)
    {
        var dims = new int[rank + 2];
        dims[0] = Batch;
        dims[1] = channels;
        for (int i = 0; i < rank; i++)
        {
            dims[i + 2] = Axis(rank, i).Output;
        }
        return dims;
    }

    /// <summary>The axis that holds spatial axis <paramref name="i"/> of a <paramref name="rank"/>-axis problem.</summary>
    public ConvolutionAxis Axis(int rank, int i) => (3 - rank + i) switch
    {
        0 => Depth,
        1 => Height,
        _ => Width,
    };

    /// <summary>Formats dimensions the way <see cref="Shape"/> prints.</summary>
    public static string Describe(IEnumerable<object> dims) => "[" + string.Join(", ", dims) + "]";

    /// <summary>Formats dimensions the way <see cref="Shape"/> prints.</summary>
    public static string Describe(int[] dims) => "[" + string.Join(", ", dims) + "]";
}
