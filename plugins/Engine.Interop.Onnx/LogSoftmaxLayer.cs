namespace Engine.Interop.Onnx;

/// <summary>
/// Log-softmax over the features of each sample (ONNX LogSoftmax), the engine's softmax layer in log
/// form: y = x − log Σ eˣ per row of the N×(everything else) view; backward dx = dy − eʸ·Σ dy.
/// </summary>
public sealed class LogSoftmaxLayer(string name) : LayerBase(name, "log_softmax")
{
    private static readonly BackendOp[] Ops = [BackendOp.Softmax, BackendOp.SoftmaxBackward];
    private TensorBuffer? _inputGradient;
    private Tensor? _result;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) =>
        inputShape.ElementCount > 0 ? inputShape : throw ShapeError($"input shape {inputShape} has no elements");

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context) => _inputGradient = CreateBuffer();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).Like(input);
        Backend.Softmax(input, y, log: true);
        _result = training ? y : null;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor y = _result ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = _inputGradient!.Like(y);
        Backend.SoftmaxBackward(y, outputGradient, dx, log: true);
        return dx;
    }
}
