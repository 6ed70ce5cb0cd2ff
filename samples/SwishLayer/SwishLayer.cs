using Engine;

namespace SwishSample;

/// <summary>
/// Swish (also called SiLU): y = x·σ(x). Written only against IBackend primitives, so it runs on
/// every backend. Gradient: dy/dx = σ(x) + x·σ(x)·(1 − σ(x)) = σ + y·(1 − σ) = σ + y − y·σ.
/// </summary>
public sealed class SwishLayer(string name) : LayerBase(name, "swish")
{
    private static readonly BackendOp[] Ops = [BackendOp.Unary, BackendOp.Binary];
    private TensorBuffer? _sigmoid;
    private TensorBuffer? _inputGradient;
    private Tensor? _y;
    private Tensor? _s;

    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    public override Shape InferOutputShape(Shape inputShape) => inputShape;

    protected override void OnInitialize(LayerContext context)
    {
        _sigmoid = CreateBuffer();
        _inputGradient = CreateBuffer();
    }

    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor s = _sigmoid!.Like(input);
        Tensor y = OutputBuffer(training).Like(input);
        Backend.Unary(UnaryOp.Sigmoid, input, s);
        Backend.Binary(BinaryOp.Multiply, input, s, y);
        (_s, _y) = training ? (s, y) : (null, null);
        return y;
    }

    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor s = _s ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = _inputGradient!.Like(s);
        Backend.Binary(BinaryOp.Multiply, _y!, s, dx);          // y·σ
        Backend.Binary(BinaryOp.Subtract, _y!, dx, dx);         // y − y·σ
        Backend.Binary(BinaryOp.Add, dx, s, dx);                // σ + y − y·σ
        Backend.Binary(BinaryOp.Multiply, outputGradient, dx, dx);
        return dx;
    }
}
