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
/// The sizes of one convolution call (checked by <see cref="BackendContract"/>), with every problem seen as 3-D (missing leading
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
    /// The layout of a call whose operands <see cref="BackendContract"/> has checked: input
    /// N×C×spatial, <paramref name="filters"/> output channels (K), output sizes from the geometry.
    /// </summary>
    public static ConvolutionLayout Create(ConvolutionGeometry geometry, Shape input, int filters)
    {
        int rank = geometry.SpatialRank;
        Span<ConvolutionAxis> axes = [ConvolutionAxis.Unit, ConvolutionAxis.Unit, ConvolutionAxis.Unit];
        for (int i = 0; i < rank; i++)
        {
            int size = input[i + 2];
            int output = ConvolutionGeometry.OutputSize(size, geometry.Kernel[i], geometry.Stride[i], geometry.PadBefore[i], geometry.PadAfter[i], geometry.Dilation[i]);
            axes[3 - rank + i] = new ConvolutionAxis(size, output, geometry.Kernel[i], geometry.Stride[i], geometry.PadBefore[i], geometry.Dilation[i]);
        }
        return new ConvolutionLayout(input[0], input[1], filters, geometry.Groups, axes[0], axes[1], axes[2]);
    }
}
