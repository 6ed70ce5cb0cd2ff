namespace Engine.Layers.Standard;

/// <summary>
/// Maxout (Goodfellow et al., 2013) over channels: with k pieces, output channel j is the maximum of
/// the k consecutive input channels j·k … j·k + k − 1, at every spatial position, so C channels
/// become C/k. Works for dense (C) and convolutional (C×spatial) inputs. Computed as max pooling
/// with a (k, 1) window and stride on an N×1×C×S view (S = spatial size, 1 for dense inputs), whose
/// output N×1×(C/k)×S is already laid out as N×(C/k)×spatial.
/// </summary>
public sealed class MaxoutLayer(string name, int pieces) : LayerBase(name, "maxout")
{
    private static readonly BackendOp[] Ops = [BackendOp.Pooling];
    private readonly ViewCache _inputView = new();
    private readonly ViewCache _outputView = new();
    private readonly ViewCache _gradientView = new();
    private readonly ViewCache _inputGradientView = new();
    private PoolingGeometry? _geometry;
    private Shape _outputShape;
    private Shape _pooledInputShape;
    private Shape _pooledOutputShape;
    private Tensor? _input;
    private Tensor? _pooled;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 1)
        {
            throw ShapeError($"input {inputShape} should be C or C×spatial");
        }
        int channels = inputShape[0];
        if (channels % pieces != 0)
        {
            throw ShapeError($"{channels} input channels are not divisible by pieces {pieces}");
        }
        int[] dims = inputShape.ToArray();
        dims[0] = channels / pieces;
        return new Shape(dims);
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        int channels = context.InputShape[0];
        int spatial = checked((int)(context.InputShape.ElementCount / channels));
        _geometry = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([pieces, 1], [pieces, 1], [0, 0], [0, 0], [1, 1]));
        _outputShape = InferOutputShape(context.InputShape);
        _pooledInputShape = new Shape(1, channels, spatial);
        _pooledOutputShape = new Shape(1, channels / pieces, spatial);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor pooled = OutputBuffer(training).ForBatch(input.Shape[0], _pooledOutputShape);
        Tensor x = _inputView.Of(input, _pooledInputShape);
        Backend.PoolingForward(_geometry!, x, pooled);
        (_input, _pooled) = training ? (x, pooled) : (null, null);
        return _outputView.Of(pooled, _outputShape);
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(x);
        Backend.PoolingBackward(_geometry!, x, _pooled!, _gradientView.Of(outputGradient, _pooledOutputShape), dx);
        return _inputGradientView.Of(dx, InputShape);
    }
}
