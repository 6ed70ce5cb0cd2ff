namespace Engine.Interop.Onnx;

/// <summary>
/// y = min(max(x, min), max) element-wise (ONNX Clip; ReLU6 is min 0, max 6; max may be +∞, a
/// Clip with a lower bound only). Written with the
/// backend's binary max/min against constant tensors; backward passes dy where min &lt; x &lt; max,
/// as two ReLU gradients, of x − min and of max − x.
/// </summary>
public sealed class ClipLayer : LayerBase
{
    private static readonly BackendOp[] Ops = [BackendOp.Binary, BackendOp.ActivationBackward];
    private readonly double _min;
    private readonly double _max;
    private TensorBuffer? _low;
    private TensorBuffer? _high;
    private TensorBuffer? _scratch;
    private TensorBuffer? _inputGradient;
    private Tensor? _input;

    /// <summary>Creates the layer; <paramref name="min"/> must be finite and below <paramref name="max"/>, which may be +∞.</summary>
    public ClipLayer(string name, double min, double max)
        : base(name, "clip")
    {
        if (!(min < max) || !double.IsFinite(min) || double.IsNegativeInfinity(max))
        {
            throw new ConfigurationException($"layer '{name}' (clip): min {min} must be finite and below max {max}");
        }
        (_min, _max) = (min, max);
    }

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType) =>
    [
        new OpDescriptor(BackendOp.Binary, dataType) { Shape = inputShapes[0], Binary = BinaryOp.Max },
        new OpDescriptor(BackendOp.Binary, dataType) { Shape = inputShapes[0], Binary = BinaryOp.Min },
        new OpDescriptor(BackendOp.Binary, dataType) { Shape = inputShapes[0], Binary = BinaryOp.Subtract },
        new OpDescriptor(BackendOp.ActivationBackward, dataType) { Shape = inputShapes[0], Activation = Activation.Relu },
        new OpDescriptor(BackendOp.Memory, dataType),
    ];

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        (_low, _high, _scratch, _inputGradient) = (CreateBuffer(), CreateBuffer(), CreateBuffer(), CreateBuffer());
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        (Tensor low, Tensor high) = Bounds(input);
        Tensor y = OutputBuffer(training).Like(input);
        Backend.Binary(BinaryOp.Max, input, low, y);
        Backend.Binary(BinaryOp.Min, y, high, y);
        _input = training ? input : null;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        (Tensor low, Tensor high) = Bounds(x);
        Tensor above = _scratch!.Like(x);
        Tensor dx = _inputGradient!.Like(x);
        Backend.Binary(BinaryOp.Subtract, x, low, above);       // x − min > 0 where the lower bound is not active
        Backend.ActivationBackward(Activation.Relu, above, above, outputGradient, dx);
        Backend.Binary(BinaryOp.Subtract, high, x, above);      // max − x > 0 where the upper bound is not active
        Backend.ActivationBackward(Activation.Relu, above, above, dx, dx);
        return dx;
    }

    // Constant tensors of the input's shape, filled again each call because a smaller batch is a view.
    private (Tensor Low, Tensor High) Bounds(Tensor like)
    {
        Tensor low = _low!.Like(like), high = _high!.Like(like);
        Backend.Fill(low, _min);
        Backend.Fill(high, _max);
        return (low, high);
    }
}
