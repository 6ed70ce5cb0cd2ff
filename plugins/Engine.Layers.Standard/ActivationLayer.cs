namespace Engine.Layers.Standard;

/// <summary>
/// An element-wise activation computed by the backend's activation ops: ReLU, sigmoid, tanh, leaky
/// ReLU (slope α for x ≤ 0) and ELU (α(eˣ − 1) for x ≤ 0). Output shape = input shape. Backward
/// reads the saved input and output, so a training forward must precede it.
/// </summary>
public sealed class ActivationLayer : LayerBase, IFusableActivationLayer
{
    private static readonly BackendOp[] Ops = [BackendOp.ActivationForward, BackendOp.ActivationBackward];
    private readonly Activation _activation;
    private readonly double _alpha;
    private Tensor? _input;
    private Tensor? _result;

    /// <summary>Creates the activation layer of <paramref name="activation"/> with parameter <paramref name="alpha"/> (leaky ReLU slope, ELU α; ignored by the others).</summary>
    public ActivationLayer(string name, Activation activation, double alpha = 0)
        : base(name, KindOf(activation))
    {
        _activation = activation;
        _alpha = alpha;
    }

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public Activation Activation => _activation;

    /// <inheritdoc/>
    public double Alpha => _alpha;

    /// <inheritdoc/>
    /// <remarks>
    /// ReLU, sigmoid and tanh need only the output: their derivatives are functions of it (ReLU's
    /// x &gt; 0 is y &gt; 0), so the input's memory can be reused once the forward pass has read it.
    /// </remarks>
    public override SavedForBackward SavedForBackward => FromOutput ? SavedForBackward.Output : SavedForBackward.InputAndOutput;

    private bool FromOutput => _activation is Activation.Relu or Activation.Sigmoid or Activation.Tanh;

    /// <inheritdoc/>
    public bool BackwardFromOutput => FromOutput;

    /// <inheritdoc/>
    public void AdoptTrainingOutput(Tensor output)
    {
        if (!FromOutput)
        {
            throw new InvalidOperationException($"layer '{Name}' ({Kind}): its backward reads its input, so a fused output cannot stand for its training pass");
        }
        (_input, _result) = (null, output);
    }

    /// <inheritdoc/>
    public override IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType) =>
        Ops.Select(op => new OpDescriptor(op, dataType) { Shape = inputShapes[0], Activation = _activation });

    /// <summary>The layer kind users write for <paramref name="activation"/>, e.g. <c>leaky_relu</c>.</summary>
    public static string KindOf(Activation activation) => activation switch
    {
        Activation.Relu => "relu",
        Activation.Sigmoid => "sigmoid",
        Activation.Tanh => "tanh",
        Activation.LeakyRelu => "leaky_relu",
        Activation.Elu => "elu",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "no layer kind for this activation"),
    };

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).Like(input);
        Backend.ActivationForward(_activation, input, y, _alpha);
        (_input, _result) = training ? (input, y) : (null, null);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor y = _result ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        // Where only the output is kept, it stands in for the input: ReLU's backward tests x > 0, which is y > 0.
        Tensor x = FromOutput ? y : _input!;
        Tensor dx = InputGradientBuffer().Like(x);
        Backend.ActivationBackward(_activation, x, y, outputGradient, dx, _alpha);
        return dx;
    }
}
