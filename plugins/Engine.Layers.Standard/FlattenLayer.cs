namespace Engine.Layers.Standard;

/// <summary>Reshapes N×C×H×W (or any rank) to N×(C·H·W) without copying: outputs are views.</summary>
public sealed class FlattenLayer(string name) : LayerBase(name, "flatten")
{
    private static readonly BackendOp[] Ops = [];
    private Tensor? _outputView;
    private Tensor? _gradientView;
    private Shape _inputShape;

    /// <inheritdoc/>
    public override IReadOnlyCollection<BackendOp> RequiredOps => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => new(checked((int)inputShape.ElementCount));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        _inputShape = input.Shape;
        return _outputView = View(_outputView, input, new Shape(input.Shape[0], checked((int)(input.ElementCount / Math.Max(1, input.Shape[0])))));
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) =>
        _gradientView = View(_gradientView, outputGradient, _inputShape);

    // Reuses the previous view object when it already wraps the same memory with the same shape.
    private static Tensor View(Tensor? previous, Tensor source, Shape shape) =>
        previous is not null && ReferenceEquals(previous.Storage, source.Storage) && previous.Shape == shape
            ? previous
            : source.Reshape(shape);
}
