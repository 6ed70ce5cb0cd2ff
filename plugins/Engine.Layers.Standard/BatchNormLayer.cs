namespace Engine.Layers.Standard;

/// <summary>
/// Batch normalisation (Ioffe and Szegedy, 2015) per channel of a dense (C) or convolutional
/// (C×spatial) input: y = γ·(x − μ)/√(σ² + ε) + β. Training uses the batch statistics and folds them
/// into running ones as r ← (1 − momentum)·r + momentum·batch (PyTorch's meaning of momentum, with
/// the unbiased variance); inference uses the running statistics. γ (initially 1) and β (0) are
/// parameters; the running mean (0) and variance (1) are state, not trained. Given a
/// <see cref="CrossReplicaSum"/>, training uses the statistics of every replica's batch together
/// (synchronised batch normalisation, BatchNormLayer.Synchronized.cs).
/// </summary>
public sealed partial class BatchNormLayer(string name, double momentum, double epsilon) : LayerBase(name, "batch_norm"), IStatefulComponent, IInferenceState, IBatchStatisticsLayer
{
    private static readonly BackendOp[] Ops = [BackendOp.BatchNorm, BackendOp.Axpby, BackendOp.Memory];
    private Parameter? _gamma;
    private Parameter? _beta;
    private Tensor? _runningMean;
    private Tensor? _runningVariance;
    private Tensor? _savedMean;
    private Tensor? _savedInvStd;
    private Tensor? _input;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override SavedForBackward SavedForBackward => SavedForBackward.Input;

    /// <summary>Running mean per channel (state updated by training forward passes).</summary>
    public Tensor RunningMean => _runningMean ?? throw new InvalidOperationException($"layer '{Name}' is not initialised");

    /// <summary>Running variance per channel (state updated by training forward passes).</summary>
    public Tensor RunningVariance => _runningVariance ?? throw new InvalidOperationException($"layer '{Name}' is not initialised");

    /// <summary>The running mean and variance: what inference normalises with.</summary>
    public IReadOnlyList<Tensor> InferenceStateTensors => [RunningMean, RunningVariance];

    /// <summary>Saves the running mean and variance as <c>prefix + "running_mean"</c> / <c>"running_var"</c>.</summary>
    public void SaveState(StateDictionary state, string prefix)
    {
        state.SetTensor(prefix + "running_mean", RunningMean);
        state.SetTensor(prefix + "running_var", RunningVariance);
    }

    /// <inheritdoc/>
    public void LoadState(StateDictionary state, string prefix)
    {
        state.CopyTo(prefix + "running_mean", RunningMean);
        state.CopyTo(prefix + "running_var", RunningVariance);
    }

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 1 || inputShape.ElementCount == 0)
        {
            throw ShapeError($"input {inputShape} should be C or C×spatial with no zero dimension");
        }
        return inputShape;
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        var channels = new Shape(context.InputShape[0]);
        _gamma = AddParameter("gamma", channels);
        _beta = AddParameter("beta", channels);
        Backend.Fill(_gamma.Value, 1);
        Backend.Fill(_beta.Value, 0);
        _runningMean = Backend.Allocate(channels, DataType);
        _runningVariance = Backend.Allocate(channels, DataType);
        _savedMean = Backend.Allocate(channels, DataType);
        _savedInvStd = Backend.Allocate(channels, DataType);
        Backend.Fill(_runningMean, 0);
        Backend.Fill(_runningVariance, 1);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        if (training && CrossReplicaSum is not null)
        {
            _relu = ReluStep.None;
            return ForwardSynchronized(input);
        }
        _synchronized = false;
        if (training)
        {
            CheckTrainingBatch(input);
        }
        Tensor y = OutputBuffer(training).Like(input);
        Backend.BatchNormForward(input, _gamma!.Value, _beta!.Value, _runningMean!, _runningVariance!, _savedMean!, _savedInvStd!,
            y, epsilon, momentum, training);
        _input = training ? input : null;
        _relu = ReluStep.None;
        return y;
    }

    private void CheckTrainingBatch(Tensor input)
    {
        if (input.ElementCount / InputShape[0] < 2)
        {
            throw ShapeError($"training needs at least 2 values per channel to estimate a variance; input {input.Shape} has {input.ElementCount / InputShape[0]}");
        }
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(x);
        if (_relu == ReluStep.InBackend)
        {
            Backend.BatchNormReluBackward(x, _output!, outputGradient, _gamma!.Value, _beta!.Value, _savedMean!, _savedInvStd!, dx, _gamma.Gradient, _beta.Gradient);
            return dx;
        }
        Tensor dy = _relu == ReluStep.Separate ? BeforeRelu(outputGradient) : outputGradient;
        Backend.BatchNormBackward(x, dy, _gamma!.Value, _savedMean!, _savedInvStd!, dx, _gamma.Gradient, _beta!.Gradient);
        if (_synchronized)
        {
            CorrectToGlobalStatistics(x, dx);
        }
        return dx;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _runningMean?.Dispose();
            _runningVariance?.Dispose();
            _savedMean?.Dispose();
            _savedInvStd?.Dispose();
            DisposeSynchronized();
        }
        base.Dispose(disposing);
    }
}
