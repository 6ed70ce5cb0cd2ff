namespace Engine;

/// <summary>
/// The geometry of a convolution, locally connected or pooling window over 1 to 3 spatial axes:
/// kernel (window) size, stride, zero padding before and after each axis, dilation and groups.
/// Output size per axis: floor((in + padBefore + padAfter − dilation·(k − 1) − 1) / stride) + 1.
/// Every number is validated here, once, for every backend.
/// </summary>
public sealed class ConvolutionGeometry
{
    /// <summary>Creates and validates a geometry; arrays are per spatial axis.</summary>
    public ConvolutionGeometry(int[] kernel, int[] stride, int[] padBefore, int[] padAfter, int[] dilation, int groups = 1)
    {
        int rank = kernel.Length;
        if (rank is < 1 or > 3)
        {
            throw new ShapeException($"a window needs 1 to 3 spatial axes, got {rank}");
        }
        Check("stride", stride, rank, 1);
        Check("padding before", padBefore, rank, 0);
        Check("padding after", padAfter, rank, 0);
        Check("dilation", dilation, rank, 1);
        Check("kernel size", kernel, rank, 1);
        if (groups < 1)
        {
            throw new ShapeException($"groups must be >= 1, got {groups}");
        }
        Kernel = (int[])kernel.Clone();
        Stride = (int[])stride.Clone();
        PadBefore = (int[])padBefore.Clone();
        PadAfter = (int[])padAfter.Clone();
        Dilation = (int[])dilation.Clone();
        Groups = groups;
    }

    /// <summary>Window size per axis.</summary>
    public IReadOnlyList<int> Kernel { get; }

    /// <summary>Step per axis.</summary>
    public IReadOnlyList<int> Stride { get; }

    /// <summary>Zeros added before each axis.</summary>
    public IReadOnlyList<int> PadBefore { get; }

    /// <summary>Zeros added after each axis.</summary>
    public IReadOnlyList<int> PadAfter { get; }

    /// <summary>Spacing between window taps per axis (1 = dense).</summary>
    public IReadOnlyList<int> Dilation { get; }

    /// <summary>Channel groups (input and output channels are split into this many independent groups).</summary>
    public int Groups { get; }

    /// <summary>Number of spatial axes.</summary>
    public int SpatialRank => Kernel.Count;

    /// <summary>Product of the kernel sizes.</summary>
    public int KernelVolume => Kernel.Aggregate(1, (a, b) => a * b);

    /// <summary>The output-size rule for one axis; throws when the window does not fit.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padBefore, int padAfter, int dilation)
    {
        int span = dilation * (kernel - 1) + 1;
        int padded = input + padBefore + padAfter;
        if (span > padded)
        {
            throw new ShapeException($"window of {span} (kernel {kernel}, dilation {dilation}) is larger than the padded input {padded} ({input} + {padBefore} + {padAfter})");
        }
        return (padded - span) / stride + 1;
    }

    /// <summary>
    /// Per-sample output shape K×(out spatial) for a per-sample input C×(in spatial) and
    /// <paramref name="outputChannels"/> filters (pooling passes C).
    /// </summary>
    public Shape OutputShape(Shape input, int outputChannels)
    {
        if (input.Rank != SpatialRank + 1)
        {
            throw new ShapeException($"input {input} should be C×{SpatialRank} spatial axes ({SpatialRank + 1} dimensions)");
        }
        if (input[0] % Groups != 0 || outputChannels % Groups != 0)
        {
            throw new ShapeException($"input channels {input[0]} and output channels {outputChannels} must both be divisible by groups {Groups}");
        }
        var dims = new int[SpatialRank + 1];
        dims[0] = outputChannels;
        for (int i = 0; i < SpatialRank; i++)
        {
            try
            {
                dims[i + 1] = OutputSize(input[i + 1], Kernel[i], Stride[i], PadBefore[i], PadAfter[i], Dilation[i]);
            }
            catch (ShapeException e)
            {
                throw new ShapeException($"spatial axis {i}: {e.Message}");
            }
        }
        return new Shape(dims);
    }

    /// <summary>
    /// Padding for 'same' (out = ceil(in / stride)): total = max((out − 1)·stride + span − in, 0),
    /// split with the extra zero after, as TensorFlow and PyTorch do.
    /// </summary>
    public static (int Before, int After) SamePadding(int input, int kernel, int stride, int dilation)
    {
        int output = (input + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + dilation * (kernel - 1) + 1 - input, 0);
        return (total / 2, total - total / 2);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"kernel {string.Join('x', Kernel)}, stride {string.Join('x', Stride)}, pad {string.Join('x', PadBefore)}/{string.Join('x', PadAfter)}, dilation {string.Join('x', Dilation)}, groups {Groups}";

    private static void Check(string what, int[] values, int rank, int min)
    {
        if (values.Length != rank)
        {
            throw new ShapeException($"{what} has {values.Length} values for {rank} spatial axes");
        }
        foreach (int v in values)
        {
            if (v < min)
            {
                throw new ShapeException($"{what} must be >= {min}, got {v}");
            }
        }
    }
}

/// <summary>Max or average pooling.</summary>
public enum PoolingMode
{
    /// <summary>Maximum of the window; backward routes the gradient to the arg-max only (first one on ties).</summary>
    Max,

    /// <summary>Mean of the window; padded zeros count only when <see cref="PoolingGeometry.CountIncludePad"/>.</summary>
    Average,
}

/// <summary>A pooling window: geometry (groups and dilation unused, 1) plus mode and padding rule.</summary>
/// <param name="Mode">Max or average.</param>
/// <param name="Window">Window, stride and padding per spatial axis.</param>
/// <param name="CountIncludePad">Average pooling: divide by the full window (true) or by the real elements in it (false).</param>
public sealed record PoolingGeometry(PoolingMode Mode, ConvolutionGeometry Window, bool CountIncludePad = false);

/// <summary>
/// Local response normalisation across channels (AlexNet): b_c = a_c / (k + α/n · Σ a_j²)^β, with
/// j over the n channels centred on c (clipped at the edges), as in PyTorch and Caffe.
/// </summary>
/// <param name="Size">n, channels in the window.</param>
/// <param name="Alpha">α.</param>
/// <param name="Beta">β.</param>
/// <param name="K">k.</param>
public sealed record LrnParameters(int Size = 5, double Alpha = 1e-4, double Beta = 0.75, double K = 2.0);
