namespace Engine.Layers.Standard;

/// <summary>
/// Element-wise sum of inputs of one shape (ResNet's skip connection). Backward passes dy unchanged
/// to every input (the network sums gradients where an output feeds several layers).
/// </summary>
public sealed class AddLayer(string name) : LayerBase(name, "add"), ISumLayer
{
    private static readonly BackendOp[] Ops = [BackendOp.Binary, BackendOp.Memory];
    private readonly List<Tensor> _gradients = [];

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override SavedForBackward SavedForBackward => SavedForBackward.None;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    public Shape InferOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        for (int i = 1; i < inputShapes.Count; i++)
        {
            if (inputShapes[i] != inputShapes[0])
            {
                throw ShapeError($"input {i + 1} has shape {inputShapes[i]} but input 1 has {inputShapes[0]}; an element-wise add needs equal shapes");
            }
        }
        return inputShapes[0];
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        foreach (Shape _ in context.InputShapes)
        {
            _gradients.Add(null!);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training) => Forward([input], training);

    /// <inheritdoc/>
    public Tensor Forward(IReadOnlyList<Tensor> inputs, bool training)
    {
        Tensor y = OutputBuffer(training).Like(inputs[0]);
        if (inputs.Count == 1)
        {
            Backend.Copy(inputs[0], y);
            return y;
        }
        Backend.Binary(BinaryOp.Add, inputs[0], inputs[1], y);
        for (int i = 2; i < inputs.Count; i++)
        {
            Backend.Binary(BinaryOp.Add, y, inputs[i], y);
        }
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => outputGradient;

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> BackwardAll(Tensor outputGradient)
    {
        for (int i = 0; i < _gradients.Count; i++)
        {
            _gradients[i] = outputGradient;
        }
        return _gradients;
    }
}
