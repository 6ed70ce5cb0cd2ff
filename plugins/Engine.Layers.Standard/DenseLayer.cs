namespace Engine.Layers.Standard;

/// <summary>
/// Fully connected layer y = x·Wᵀ + b with W of shape out×in (PyTorch's layout). Any per-sample
/// input shape is read as a vector of its element count. Initialised as PyTorch's nn.Linear:
/// W and b uniform on ±1/√in, unless <paramref name="init"/> and <paramref name="biasInit"/> say otherwise.
/// </summary>
/// <param name="name">Instance name.</param>
/// <param name="units">Outputs.</param>
/// <param name="useBias">Whether to add a learned bias.</param>
/// <param name="init">Weight initialiser (null: PyTorch's default).</param>
/// <param name="biasInit">Bias initialiser.</param>
public sealed class DenseLayer(string name, int units, bool useBias, Initializer? init = null, BiasInitializer biasInit = BiasInitializer.Default) : LayerBase(name, "dense"), ILayerCost, IEpilogueLayer
{
    private static readonly BackendOp[] Ops = [BackendOp.Gemm, BackendOp.ChannelBias, BackendOp.ChannelSum, BackendOp.Random];
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _input;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override SavedForBackward SavedForBackward => SavedForBackward.Input;

    private Shape OutputShape { get; } = new(units);

    /// <inheritdoc/>
    public long MultiplyAccumulates => _weight?.Value.ElementCount ?? 0; // one per weight: units × inputs

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.ElementCount == 0)
        {
            throw ShapeError($"input shape {inputShape} has no elements");
        }
        return new Shape(units);
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        int fanIn = checked((int)context.InputShape.ElementCount);
        _weight = AddParameter("weight", new Shape(units, fanIn));
        (init ?? Initializer.Default).Fill(_weight.Value, fanIn, units, CounterRandom.Derive(context.Seed, 0));
        if (useBias)
        {
            _bias = AddParameter("bias", new Shape(units));
            Initializer.FillBias(biasInit, _bias.Value, fanIn, CounterRandom.Derive(context.Seed, 1));
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], OutputShape);
        Backend.Gemm(false, true, 1, input, _weight!.Value, 0, y);
        if (_bias is not null)
        {
            Backend.AddChannelBias(y, _bias.Value);
        }
        _input = training ? input : null;
        return y;
    }

    /// <inheritdoc/>
    public Tensor? OutputBias => _bias?.Value;

    /// <inheritdoc/>
    public Tensor ForwardWithEpilogue(Tensor input, Tensor scale, Tensor shift, Activation? activation, double alpha)
    {
        Tensor y = OutputBuffer(training: false).ForBatch(input.Shape[0], OutputShape);
        Backend.Gemm(false, true, 1, input, _weight!.Value, 0, y);
        Backend.ChannelAffine(y, scale, shift, y, activation, alpha);
        _input = null;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => Backward(outputGradient, needInputGradient: true)!;

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient, bool needInputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Backend.Gemm(true, false, 1, outputGradient, x, 0, _weight!.Gradient);
        if (_bias is not null)
        {
            Backend.SumChannels(outputGradient, _bias.Gradient);
        }
        if (!needInputGradient)
        {
            return null; // the layer reads the model input, whose gradient was not asked for
        }
        Tensor dx = InputGradientBuffer().Like(x);
        Backend.Gemm(false, false, 1, outputGradient, _weight.Value, 0, dx);
        return dx;
    }
}
