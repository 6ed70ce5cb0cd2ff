namespace Engine.Interop.Onnx;

/// <summary>
/// Gives each sample another shape of the same size (ONNX Reshape that keeps the batch axis, e.g.
/// N×512 → N×32×4×4): the output is a view of the input, nothing is copied.
/// </summary>
public sealed class ReshapeLayer : LayerBase
{
    private static readonly BackendOp[] Ops = [];
    private readonly Shape _shape;
    private (Tensor? Source, Tensor? View) _output;
    private (Tensor? Source, Tensor? View) _gradient;

    /// <summary>Creates the layer; <paramref name="shape"/> is the per-sample output shape.</summary>
    public ReshapeLayer(string name, Shape shape)
        : base(name, "reshape")
    {
        _shape = shape;
    }

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) =>
        inputShape.ElementCount == _shape.ElementCount ? _shape : throw ShapeError($"input shape {inputShape} has {inputShape.ElementCount} elements, shape {_shape} has {_shape.ElementCount}");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training) => View(ref _output, input, _shape);

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => View(ref _gradient, outputGradient, InputShape);

    // The view is made once per source tensor: the same tensor comes back every step.
    private static Tensor View(ref (Tensor? Source, Tensor? View) cache, Tensor source, Shape sample)
    {
        if (cache.View is null || !ReferenceEquals(cache.Source, source))
        {
            cache = (source, source.Reshape(sample.WithBatch(source.Shape[0])));
        }
        return cache.View!;
    }
}
