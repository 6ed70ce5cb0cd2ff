namespace Engine.Features.Classical;

/// <summary>
/// <c>fixed_conv2d</c>: hand-made filters as a layer. Each of the K kernels is applied to each of the
/// C input channels on its own (a depthwise convolution, groups = C), giving C·K output channels,
/// channel c·K + k being kernel k on input channel c. Frozen by definition: the kernels are not
/// parameters (an optimiser never sees them, a checkpoint does not hold them); backward passes the
/// gradient to the input only. Kernels of different odd sizes are zero-padded, centred, to the
/// largest. Padding 'same' (default) keeps the size; 'valid' shrinks it by the kernel size − 1.
/// Shows its K kernels as K one-channel filters (<see cref="IFixedFilters"/>) for <c>engine visualize</c>.
/// </summary>
public sealed class FixedConvolutionLayer : LayerBase, IFixedFilters
{
    private static readonly BackendOp[] Ops = [BackendOp.Convolution, BackendOp.Memory];
    private readonly bool _same;
    private ConvolutionGeometry? _geometry;
    private Shape _outputShape;
    private Tensor? _weights;
    private TensorBuffer? _inputGradient;

    /// <summary>Creates the layer; <paramref name="kernels"/> must be non-empty and, if of different sizes, all odd.</summary>
    public FixedConvolutionLayer(string name, IReadOnlyList<FixedKernel> kernels, bool same)
        : base(name, "fixed_conv2d")
    {
        if (kernels.Count == 0)
        {
            throw new ConfigurationException($"layer '{name}' (fixed_conv2d): give at least one kernel in \"kernels\"");
        }
        int rows = kernels.Max(k => k.Rows), columns = kernels.Max(k => k.Columns);
        if (kernels.Any(k => (k.Rows != rows || k.Columns != columns) && (k.Rows % 2 == 0 || k.Columns % 2 == 0 || rows % 2 == 0 || columns % 2 == 0)))
        {
            throw new ConfigurationException($"layer '{name}' (fixed_conv2d): kernels of different sizes must all be odd to be centred: {string.Join(", ", kernels.Select(k => $"{k.Name} {k.Rows}×{k.Columns}"))}");
        }
        Kernels = kernels.Select(k => k.PadTo(rows, columns)).ToArray();
        _same = same;
    }

    /// <summary>The kernels, all of one size.</summary>
    public IReadOnlyList<FixedKernel> Kernels { get; }

    /// <inheritdoc/>
    /// <remarks>K × 1 × height × width: the kernels once, though each is applied to every input channel.</remarks>
    public Shape FilterShape => new(Kernels.Count, 1, Kernels[0].Rows, Kernels[0].Columns);

    /// <inheritdoc/>
    public IReadOnlyList<float> FilterValues => Kernels.SelectMany(k => k.Weights).ToArray();

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType) =>
        Ops.Select(op => new OpDescriptor(op, dataType)
        {
            Shape = inputShapes[0],
            Convolution = op == BackendOp.Convolution ? Geometry(inputShapes[0]) : null,
        });

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 3)
        {
            throw ShapeError($"takes channels × height × width, got {inputShape}");
        }
        try
        {
            return Geometry(inputShape).OutputShape(inputShape, inputShape[0] * Kernels.Count);
        }
        catch (ShapeException e)
        {
            throw ShapeError($"input {inputShape}: {e.Message}");
        }
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _geometry = Geometry(context.InputShape);
        _outputShape = InferOutputShape(context.InputShape);
        int channels = context.InputShape[0], size = Kernels[0].Rows * Kernels[0].Columns;
        var weights = new float[channels * Kernels.Count * size];
        for (int c = 0; c < channels; c++)
        {
            for (int k = 0; k < Kernels.Count; k++)
            {
                Kernels[k].Weights.CopyTo(weights, ((c * Kernels.Count) + k) * size);
            }
        }
        _weights = Backend.Allocate(new Shape(channels * Kernels.Count, 1, Kernels[0].Rows, Kernels[0].Columns), context.DataType);
        if (context.DataType == DataType.Float64)
        {
            Backend.CopyFromHost<double>(weights.Select(w => (double)w).ToArray(), _weights);
        }
        else
        {
            Backend.CopyFromHost<float>(weights, _weights);
        }
        _inputGradient = CreateBuffer();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], _outputShape);
        Backend.ConvolutionForward(_geometry!, input, _weights!, y);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => Backward(outputGradient, needInputGradient: true)!;

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient, bool needInputGradient)
    {
        if (!needInputGradient)
        {
            return null;
        }
        Tensor dx = _inputGradient!.ForBatch(outputGradient.Shape[0], InputShape);
        Backend.ConvolutionBackwardData(_geometry!, outputGradient, _weights!, dx);
        return dx;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _weights?.Dispose();
        }
        base.Dispose(disposing);
    }

    private ConvolutionGeometry Geometry(Shape input)
    {
        int rows = Kernels[0].Rows, columns = Kernels[0].Columns;
        int[] before = _same ? [(rows - 1) / 2, (columns - 1) / 2] : [0, 0];
        int[] after = _same ? [rows / 2, columns / 2] : [0, 0];
        return new ConvolutionGeometry([rows, columns], [1, 1], before, after, [1, 1], groups: input[0]);
    }
}
