namespace Engine.Layers.Standard;

/// <summary>
/// Convolution (cross-correlation, as every framework computes it) over 1, 2 or 3 spatial axes:
/// C×spatial → filters×out spatial, with stride, zero padding, dilation and groups. Weight
/// filters×(C/groups)×kernel, optional bias of one value per filter. Initialised like PyTorch's
/// nn.ConvNd: weight and bias uniform on ±1/√fan_in with fan_in = (C/groups)·∏kernel.
/// </summary>
public sealed class ConvolutionLayer : LayerBase, ILayerCost, IEpilogueLayer, IBiasActivationLayer
{
    private static readonly BackendOp[] Ops = [BackendOp.Convolution, BackendOp.ChannelBias, BackendOp.ChannelSum, BackendOp.Random];
    private readonly int _filters;
    private readonly int[] _kernel;
    private readonly int[] _stride;
    private readonly int[] _dilation;
    private readonly WindowPadding _padding;
    private readonly int _groups;
    private readonly bool _useBias;
    private readonly Initializer _init;
    private readonly BiasInitializer _biasInit;
    private ConvolutionGeometry? _geometry;
    private Shape _outputShape;
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _input;

    /// <summary>Creates the layer; arrays have one entry per spatial axis (their length is the rank).</summary>
    /// <param name="name">Instance name.</param>
    /// <param name="kind">Registered kind (<c>conv1d</c>, <c>conv2d</c>, <c>conv3d</c>).</param>
    /// <param name="filters">Output channels.</param>
    /// <param name="kernel">Window size per axis.</param>
    /// <param name="stride">Step per axis.</param>
    /// <param name="padding">Zero padding ('same' or explicit).</param>
    /// <param name="dilation">Tap spacing per axis.</param>
    /// <param name="groups">Channel groups; filters must be divisible by it, and so must the input channels.</param>
    /// <param name="useBias">Whether to add a learned bias per filter.</param>
    /// <param name="init">Weight initialiser (null: PyTorch's default).</param>
    /// <param name="biasInit">Bias initialiser.</param>
    internal ConvolutionLayer(string name, string kind, int filters, int[] kernel, int[] stride, WindowPadding padding, int[] dilation, int groups, bool useBias,
        Initializer? init = null, BiasInitializer biasInit = BiasInitializer.Default)
        : base(name, kind)
    {
        if (filters % groups != 0)
        {
            throw new ConfigurationException($"layer '{name}' ({kind}): filters {filters} must be divisible by groups {groups}");
        }
        _filters = filters;
        _kernel = kernel;
        _stride = stride;
        _padding = padding;
        _dilation = dilation;
        _groups = groups;
        _useBias = useBias;
        _init = init ?? Initializer.Default;
        _biasInit = biasInit;
    }

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override SavedForBackward SavedForBackward => SavedForBackward.Input;

    /// <inheritdoc/>
    public override IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType) =>
        Ops.Select(op => new OpDescriptor(op, dataType)
        {
            Shape = inputShapes[0],
            Convolution = op == BackendOp.Convolution ? Geometry(inputShapes[0]) : null,
        });

    /// <inheritdoc/>
    // Every weight (filters × C/groups × kernel) is used once at every output position.
    public long MultiplyAccumulates => _weight is null ? 0 : _weight.Value.ElementCount * (_outputShape.ElementCount / _filters);

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        try
        {
            return Geometry(inputShape).OutputShape(inputShape, _filters);
        }
        catch (ShapeException e)
        {
            throw ShapeError($"input {inputShape}: {e.Message}");
        }
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _geometry = Geometry(context.InputShape);
        _outputShape = _geometry.OutputShape(context.InputShape, _filters);
        int perGroup = context.InputShape[0] / _groups;
        int fanIn = perGroup * _geometry.KernelVolume;
        _weight = AddParameter("weight", new Shape([_filters, perGroup, .. _kernel]));
        _init.Fill(_weight.Value, fanIn, _filters * _geometry.KernelVolume, CounterRandom.Derive(context.Seed, 0));
        if (_useBias)
        {
            _bias = AddParameter("bias", new Shape(_filters));
            Initializer.FillBias(_biasInit, _bias.Value, fanIn, CounterRandom.Derive(context.Seed, 1));
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], _outputShape);
        if (_bias is not null && Backend.FusesConvolutionBiasActivation(_geometry!, DataType, null, training))
        {
            // The bias as the convolution's epilogue where the backend fuses it: the same result, one pass fewer over y.
            Backend.ConvolutionForwardBiasActivation(_geometry!, input, _weight!.Value, _bias.Value, y);
        }
        else
        {
            Backend.ConvolutionForward(_geometry!, input, _weight!.Value, y);
            if (_bias is not null)
            {
                Backend.AddChannelBias(y, _bias.Value);
            }
        }
        _input = training ? input : null;
        return y;
    }

    /// <inheritdoc/>
    public Tensor? OutputBias => _bias?.Value;

    /// <inheritdoc/>
    public Tensor ForwardWithEpilogue(Tensor input, Tensor scale, Tensor shift, Activation? activation, double alpha)
    {
        Tensor y = OutputBuffer(training: false).ForBatch(input.Shape[0], _outputShape);
        Backend.ConvolutionForwardWithEpilogue(_geometry!, input, _weight!.Value, y, scale, shift, activation, alpha);
        _input = null;
        return y;
    }

    /// <inheritdoc/>
    /// <remarks>The pooled output lives where <see cref="ForwardWithEpilogue"/>'s would (it is smaller).</remarks>
    public Tensor? ForwardWithEpiloguePooled(Tensor input, Tensor scale, Tensor shift, Activation? activation, double alpha, PoolingGeometry pool)
    {
        Tensor y = OutputBuffer(training: false).ForBatch(input.Shape[0], pool.Window.OutputShape(_outputShape, _outputShape[0]));
        _input = null;
        return Backend.TryConvolutionForwardPooled(_geometry!, input, _weight!.Value, scale, shift, activation, alpha, pool, y) ? y : null;
    }

    /// <inheritdoc/>
    /// <remarks>The output lives where <see cref="ForwardWithEpilogue"/>'s would; the residual is only read.</remarks>
    public Tensor? ForwardWithEpilogueResidual(Tensor input, Tensor scale, Tensor shift, Tensor residual, Activation? activation, double alpha)
    {
        Tensor y = OutputBuffer(training: false).ForBatch(input.Shape[0], _outputShape);
        _input = null;
        return Backend.TryConvolutionForwardResidual(_geometry!, input, _weight!.Value, scale, shift, residual, activation, alpha, y) ? y : null;
    }

    /// <inheritdoc/>
    public bool FusesBiasActivation(Activation activation, bool training) =>
        _geometry is not null && Backend.FusesConvolutionBiasActivation(_geometry, DataType, activation, training);

    /// <inheritdoc/>
    /// <remarks>
    /// Backward is the plain one: the bias gradient is the sum of the gradient it receives (the
    /// activation layer's input gradient) and the filter gradient reads the input kept here.
    /// </remarks>
    public Tensor ForwardWithBiasActivation(Tensor input, bool training, Activation activation, double alpha)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], _outputShape);
        Backend.ConvolutionForwardBiasActivation(_geometry!, input, _weight!.Value, _bias?.Value, y, activation, alpha);
        _input = training ? input : null;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => Backward(outputGradient, needInputGradient: true)!;

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient, bool needInputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Backend.ConvolutionBackwardFilter(_geometry!, x, outputGradient, _weight!.Gradient);
        if (_bias is not null)
        {
            Backend.SumChannels(outputGradient, _bias.Gradient);
        }
        if (!needInputGradient)
        {
            return null; // the layer reads the model input, whose gradient was not asked for
        }
        Tensor dx = InputGradientBuffer().Like(x);
        Backend.ConvolutionBackwardData(_geometry!, outputGradient, _weight.Value, dx);
        return dx;
    }

    private ConvolutionGeometry Geometry(Shape input) => _padding.Geometry(input, _kernel, _stride, _dilation, _groups);
}
