namespace Engine.Layers.Standard;

/// <summary>Reshapes N×C×H×W (or any rank) to N×(C·H·W) without copying: outputs are views.</summary>
public sealed class FlattenLayer(string name) : LayerBase(name, "flatten")
{
    private static readonly BackendOp[] Ops = [];
    private readonly ViewCache _outputView = new();
    private readonly ViewCache _gradientView = new();
    private Shape _outputShape;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => new(checked((int)inputShape.ElementCount));

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context) => _outputShape = InferOutputShape(context.InputShape);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training) => _outputView.Of(input, _outputShape);

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => _gradientView.Of(outputGradient, InputShape);
}
