namespace Engine.Layers.Standard;

/// <summary>
/// Parametric ReLU, y = max(x, 0) + a·min(x, 0), with a learned slope a: one per channel (dimension
/// 1 of the input, the features of a dense input) or, when shared, one for the whole layer.
/// Initialised to 0.25 as PyTorch's nn.PReLU; the parameter is <c>{layer}.weight</c>.
/// </summary>
/// <remarks>
/// Composed from backend primitives so it runs on any backend. The negative part m = min(x, 0) is
/// computed as x − relu(x) (exact in floating point) and kept for backward, in a buffer shaped
/// N×C×S (C = 1 when shared) so that the per-channel ops see the slope's channels:
/// forward  y = relu(x) + ScaleChannels(m, a);
/// backward da = SumChannels(dy ⊙ m), dx = dy⊙[x &gt; 0] + ScaleChannels(dy⊙[x ≤ 0], a),
/// where dy⊙[x &gt; 0] is the ReLU gradient and dy⊙[x ≤ 0] is dy minus it. At x = 0 the slope side
/// is taken, as in PyTorch.
/// </remarks>
public sealed class PReluLayer(string name, bool shared) : LayerBase(name, "prelu")
{
    /// <summary>Initial slope, PyTorch's default.</summary>
    public const double InitialSlope = 0.25;

    private static readonly BackendOp[] Ops =
        [BackendOp.Memory, BackendOp.ActivationForward, BackendOp.ActivationBackward, BackendOp.Binary, BackendOp.ScaleChannels, BackendOp.ChannelSum];

    private Parameter? _slope;
    private Shape _channelShape; // C×S per sample, C = 1 when shared
    private TensorBuffer? _negative;
    private TensorBuffer? _scratch;
    private Tensor? _input;
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
        if (!shared && inputShape.Rank == 0)
        {
            throw ShapeError($"input shape {inputShape} has no channel dimension; use shared: true for a single slope");
        }
        return inputShape;
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        int channels = shared ? 1 : context.InputShape[0];
        _channelShape = new Shape(channels, checked((int)(context.InputShape.ElementCount / channels)));
        _slope = AddParameter("weight", new Shape(channels));
        Backend.Fill(_slope.Value, InitialSlope);
        _negative = CreateBuffer();
        _scratch = CreateBuffer();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        Tensor y = OutputBuffer(training).Like(input);
        Tensor negative = _negative!.ForBatch(batch, _channelShape);
        Tensor scaled = _scratch!.ForBatch(batch, _channelShape);
        Backend.ActivationForward(Activation.Relu, input, y);
        Backend.Binary(BinaryOp.Subtract, input, y, negative);
        Backend.ScaleChannels(negative, _slope!.Value, scaled);
        Backend.Binary(BinaryOp.Add, y, scaled, y);
        (_input, _result) = training ? (input, y) : (null, null);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        int batch = x.Shape[0];
        Tensor negative = _negative!.ForBatch(batch, _channelShape);
        Tensor scratch = _scratch!.ForBatch(batch, _channelShape);
        Tensor dx = InputGradientBuffer().Like(x);

        Backend.Binary(BinaryOp.Multiply, outputGradient, negative, scratch);
        Backend.SumChannels(scratch, _slope!.Gradient);

        Backend.ActivationBackward(Activation.Relu, x, _result!, outputGradient, dx);
        Backend.Binary(BinaryOp.Subtract, outputGradient, dx, scratch);
        Backend.ScaleChannels(scratch, _slope.Value, scratch);
        Backend.Binary(BinaryOp.Add, dx, scratch, dx);
        return dx;
    }
}
