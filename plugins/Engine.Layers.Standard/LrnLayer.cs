namespace Engine.Layers.Standard;

/// <summary>
/// Local response normalisation across channels (AlexNet): b_c = a_c / (k + α/n·Σ a_j²)^β over the
/// n channels around c (see <see cref="LrnParameters"/>). Needs a C×spatial or C input.
/// </summary>
public sealed class LrnLayer(string name, LrnParameters parameters) : LayerBase(name, "lrn")
{
    private static readonly BackendOp[] Ops = [BackendOp.Lrn];
    private TensorBuffer? _scale;
    private Tensor? _input;
    private Tensor? _result;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType) =>
        [new OpDescriptor(BackendOp.Lrn, dataType) { Shape = inputShapes[0], Lrn = parameters }];

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 1)
        {
            throw ShapeError($"input {inputShape} should be C or C×spatial");
        }
        return inputShape;
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _scale = CreateBuffer();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).Like(input);
        Backend.LrnForward(parameters, input, y, _scale!.Like(input));
        (_input, _result) = training ? (input, y) : (null, null);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(x);
        Backend.LrnBackward(parameters, x, _result!, _scale!.Like(x), outputGradient, dx);
        return dx;
    }
}
