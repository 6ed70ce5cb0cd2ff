namespace Engine.Layers.Standard;

/// <summary>
/// Concatenation along channels (Inception): inputs N×Cᵢ×spatial with equal spatial sizes give
/// N×(ΣCᵢ)×spatial. Backward hands each input its channel range of dy.
/// </summary>
public sealed class ConcatLayer(string name) : LayerBase(name, "concat"), IMergeLayer
{
    private static readonly BackendOp[] Ops = [BackendOp.CopyChannels];
    private readonly List<TensorBuffer> _inputGradients = [];
    private readonly List<Tensor> _gradients = [];
    private int[] _channels = [];
    private Shape _outputShape;
    private Tensor[] _inputs = [];

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => InferOutputShape([inputShape]);

    /// <inheritdoc/>
    public Shape InferOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        Shape first = inputShapes[0];
        if (first.Rank < 1)
        {
            throw ShapeError($"input {first} has no channel axis");
        }
        int channels = 0;
        for (int i = 0; i < inputShapes.Count; i++)
        {
            Shape s = inputShapes[i];
            if (s.Rank != first.Rank || !s.AsSpan()[1..].SequenceEqual(first.AsSpan()[1..]))
            {
                throw ShapeError($"input {i + 1} has shape {s} but input 1 has {first}: all but the channel axis must match ({string.Join(" vs ", inputShapes)})");
            }
            channels += s[0];
        }
        var dims = first.AsSpan().ToArray();
        dims[0] = channels;
        return new Shape(dims);
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _channels = context.InputShapes.Select(s => s[0]).ToArray();
        _outputShape = InferOutputShape(context.InputShapes);
        foreach (int _ in _channels)
        {
            _inputGradients.Add(CreateBuffer());
            _gradients.Add(null!);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training) => Forward([input], training);

    /// <inheritdoc/>
    public Tensor Forward(IReadOnlyList<Tensor> inputs, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(inputs[0].Shape[0], _outputShape);
        int offset = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            Backend.CopyChannels(inputs[i], 0, y, offset, _channels[i]);
            offset += _channels[i];
        }
        if (_inputs.Length != inputs.Count)
        {
            _inputs = new Tensor[inputs.Count];
        }
        for (int i = 0; i < inputs.Count; i++)
        {
            _inputs[i] = inputs[i];
        }
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => BackwardAll(outputGradient)[0];

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> BackwardAll(Tensor outputGradient)
    {
        int offset = 0;
        for (int i = 0; i < _channels.Length; i++)
        {
            Tensor dx = _inputGradients[i].Like(_inputs[i]);
            Backend.CopyChannels(outputGradient, offset, dx, 0, _channels[i]);
            _gradients[i] = dx;
            offset += _channels[i];
        }
        return _gradients;
    }
}
