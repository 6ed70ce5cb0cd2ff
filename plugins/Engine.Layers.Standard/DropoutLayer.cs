namespace Engine.Layers.Standard;

/// <summary>
/// Inverted dropout: in training each element is kept with probability 1 − p and scaled by
/// 1/(1 − p), so inference is the identity (the input itself is returned, not a copy). The mask of
/// training step t comes from seed Derive(layer seed, t), so a run with the same seeds drops the
/// same elements on every backend.
/// </summary>
public sealed class DropoutLayer(string name, double rate) : LayerBase(name, "dropout"), IStatefulComponent, IInferenceState
{
    private static readonly BackendOp[] Ops = [BackendOp.Dropout, BackendOp.Binary];
    private ulong _seed;
    private ulong _step;
    private TensorBuffer? _mask;
    private Tensor? _activeMask;
    private bool _passThrough;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <summary>The mask of the latest training forward pass (null before one, or when p = 0).</summary>
    public Tensor? Mask => _activeMask;

    /// <summary>
    /// Saves the layer seed and the training-step counter, which together select the next mask
    /// (<c>prefix + "seed"</c>, <c>prefix + "step"</c>), so a resumed run draws the same masks even
    /// when the network was rebuilt with another model seed.
    /// </summary>
    public void SaveState(StateDictionary state, string prefix)
    {
        state.SetInt64(prefix + "seed", unchecked((long)_seed));
        state.SetInt64(prefix + "step", (long)_step);
    }

    /// <inheritdoc/>
    public void LoadState(StateDictionary state, string prefix)
    {
        _seed = unchecked((ulong)state.GetInt64(prefix + "seed"));
        _step = (ulong)state.GetInt64(prefix + "step");
    }

    /// <summary>None: inference passes its input on; the seed and step select training masks only.</summary>
    public IReadOnlyList<Tensor> InferenceStateTensors => [];

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _seed = context.Seed;
        _mask = CreateBuffer();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        _activeMask = null;
        _passThrough = training && rate == 0;
        if (!training || rate == 0)
        {
            return input;
        }
        Tensor mask = _mask!.Like(input);
        Backend.DropoutMask(mask, rate, CounterRandom.Derive(_seed, _step++));
        Tensor y = OutputBuffer(training).Like(input);
        Backend.Binary(BinaryOp.Multiply, input, mask, y);
        _activeMask = mask;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        if (_passThrough)
        {
            return outputGradient;
        }
        Tensor mask = _activeMask ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(mask);
        Backend.Binary(BinaryOp.Multiply, outputGradient, mask, dx);
        return dx;
    }
}
