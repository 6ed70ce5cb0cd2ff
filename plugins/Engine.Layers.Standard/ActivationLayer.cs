namespace Engine.Layers.Standard;

/// <summary>
/// An element-wise activation whose forward is a backend unary op and whose gradient is a backend
/// activation-backward op: ReLU, sigmoid, tanh. Output shape = input shape.
/// </summary>
public sealed class ActivationLayer : LayerBase
{
    private static readonly BackendOp[] Ops = [BackendOp.Unary, BackendOp.ActivationBackward];
    private readonly UnaryOp _forward;
    private readonly Activation _backward;
    private TensorBuffer? _output;
    private TensorBuffer? _inputGradient;
    private Tensor? _input;
    private Tensor? _result;

    /// <summary>Creates the activation layer of <paramref name="activation"/>.</summary>
    public ActivationLayer(string name, Activation activation)
        : base(name, activation.ToString().ToLowerInvariant())
    {
        _backward = activation;
        _forward = activation switch
        {
            Activation.Relu => UnaryOp.Relu,
            Activation.Sigmoid => UnaryOp.Sigmoid,
            Activation.Tanh => UnaryOp.Tanh,
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "no forward op for this activation"),
        };
    }

    /// <inheritdoc/>
    public override IReadOnlyCollection<BackendOp> RequiredOps => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _output = CreateBuffer();
        _inputGradient = CreateBuffer();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = _output!.Like(input);
        Backend.Unary(_forward, input, y);
        (_input, _result) = training ? (input, y) : (null, null);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = _inputGradient!.Like(x);
        Backend.ActivationBackward(_backward, x, _result!, outputGradient, dx);
        return dx;
    }
}
