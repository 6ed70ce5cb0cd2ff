namespace Engine.Layers.Standard;

/// <summary>
/// Softmax over the features of each sample: the rows of the N×(everything else) matrix view, so an
/// N×C×H×W input is normalised over all C·H·W values of a sample. Output shape = input shape.
/// Backward is the backend's softmax backward, dx = y ⊙ (dy − Σ dy ⊙ y) per row.
/// </summary>
public sealed class SoftmaxLayer(string name) : LayerBase(name, "softmax")
{
    private static readonly BackendOp[] Ops = [BackendOp.Softmax, BackendOp.SoftmaxBackward];
    private Tensor? _result;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.ElementCount == 0)
        {
            throw ShapeError($"input shape {inputShape} has no elements");
        }
        return inputShape;
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).Like(input);
        Backend.Softmax(input, y);
        _result = training ? y : null;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor y = _result ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(y);
        Backend.SoftmaxBackward(y, outputGradient, dx);
        return dx;
    }
}
