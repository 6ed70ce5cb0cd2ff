using Engine;

namespace MyLayer;

/// <summary>
/// The scaled hyperbolic tangent y = a·tanh(b·x) (LeCun's choice for LeNet was a = 1.7159,
/// b = 2/3). Written with <see cref="IBackend"/> primitives only, so it runs on every backend.
/// Gradient: dy/dx = a·b·(1 − tanh²(b·x)).
/// </summary>
public sealed class ScaledTanhLayer(string name, double a, double b) : LayerBase(name, "scaled-tanh")
{
    // The op families Forward and Backward call: the host checks the backend runs them before training.
    private static readonly BackendOp[] Ops = [BackendOp.Unary, BackendOp.Binary, BackendOp.Axpby];
    private TensorBuffer? _tanh;
    private TensorBuffer? _inputGradient;
    private Tensor? _savedTanh;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        // Working memory: reused from step to step, grown only when a batch is larger.
        _tanh = CreateBuffer();
        _inputGradient = CreateBuffer();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor t = _tanh!.Like(input);
        Tensor y = OutputBuffer(training).Like(input);
        Backend.Axpby(b, input, 0, t);          // t = b·x
        Backend.Unary(UnaryOp.Tanh, t, t);      // t = tanh(b·x)
        Backend.Axpby(a, t, 0, y);              // y = a·t
        _savedTanh = training ? t : null;       // Backward needs tanh(b·x)
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor t = _savedTanh ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = _inputGradient!.Like(t);
        Backend.Binary(BinaryOp.Multiply, t, t, dx);                // t²
        Backend.Binary(BinaryOp.Multiply, outputGradient, dx, dx);  // dy·t²
        Backend.Axpby(a * b, outputGradient, -a * b, dx);           // a·b·dy − a·b·dy·t² = a·b·dy·(1 − t²)
        return dx;
    }
}
