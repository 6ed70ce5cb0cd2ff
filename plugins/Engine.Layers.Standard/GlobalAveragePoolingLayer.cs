namespace Engine.Layers.Standard;

/// <summary>
/// Global average pooling: C×spatial (1 to 3 spatial axes) → C, the mean of each channel. Runs as
/// average pooling with the window equal to the whole spatial extent, on an N×C×1… view of its
/// N×C output.
/// </summary>
public sealed class GlobalAveragePoolingLayer(string name) : LayerBase(name, "global_avg_pool")
{
    private static readonly BackendOp[] Ops = [BackendOp.Pooling];
    private readonly ViewCache _outputView = new();
    private readonly ViewCache _gradientView = new();
    private PoolingGeometry? _geometry;
    private Shape _outputShape;
    private Shape _pooledShape;
    private Tensor? _input;
    private Tensor? _pooled;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.Rank is < 2 or > 4)
        {
            throw ShapeError($"input {inputShape} should be C×spatial with 1 to 3 spatial axes");
        }
        if (inputShape.ElementCount == 0)
        {
            throw ShapeError($"input {inputShape} has no elements");
        }
        return new Shape(inputShape[0]);
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        int rank = context.InputShape.Rank - 1;
        int[] window = context.InputShape.Skip(1).ToArray();
        int[] ones = Enumerable.Repeat(1, rank).ToArray();
        _geometry = new PoolingGeometry(PoolingMode.Average, new ConvolutionGeometry(window, ones, new int[rank], new int[rank], ones));
        _outputShape = new Shape(context.InputShape[0]);
        _pooledShape = new Shape([context.InputShape[0], .. ones]);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], _outputShape);
        Tensor pooled = _outputView.Of(y, _pooledShape);
        Backend.PoolingForward(_geometry!, input, pooled);
        (_input, _pooled) = training ? (input, pooled) : (null, null);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(x);
        Backend.PoolingBackward(_geometry!, x, _pooled!, _gradientView.Of(outputGradient, _pooledShape), dx);
        return dx;
    }
}
