namespace Engine.Layers.Standard;

/// <summary>
/// Locally connected layer over 2 spatial axes: like a 2-D convolution, but every output position
/// has its own filters (no weight sharing), as Keras' LocallyConnected2D. Weight P×filters×(C·kh·kw)
/// with P = out_h·out_w positions in row-major order (the backend's layout). The bias, as in Keras,
/// has one value per filter and output position: shape filters×out_h×out_w. Both are initialised
/// uniform on ±1/√fan_in with fan_in = C·kh·kw, the rule of <see cref="ConvolutionLayer"/>.
/// </summary>
public sealed class LocallyConnected2dLayer : LayerBase, ILayerCost
{
    private static readonly BackendOp[] Ops = [BackendOp.LocallyConnected, BackendOp.ChannelBias, BackendOp.ChannelSum, BackendOp.Random];
    private readonly int _filters;
    private readonly int[] _kernel;
    private readonly int[] _stride;
    private readonly WindowPadding _padding;
    private readonly bool _useBias;
    private readonly Initializer _init;
    private readonly BiasInitializer _biasInit;
    private ConvolutionGeometry? _geometry;
    private Shape _outputShape;
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _input;
    private readonly ViewCache _outputRows = new();
    private readonly ViewCache _gradientRows = new();
    private Shape _rowShape;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Instance name.</param>
    /// <param name="filters">Output channels.</param>
    /// <param name="kernel">Window height and width.</param>
    /// <param name="stride">Step per axis.</param>
    /// <param name="padding">Zero padding.</param>
    /// <param name="useBias">Whether to add a learned bias per filter and output position.</param>
    /// <param name="init">Weight initialiser (null: the default; fans as a convolution's, fan_out = filters·kh·kw).</param>
    /// <param name="biasInit">Bias initialiser.</param>
    internal LocallyConnected2dLayer(string name, int filters, int[] kernel, int[] stride, WindowPadding padding, bool useBias,
        Initializer? init = null, BiasInitializer biasInit = BiasInitializer.Default)
        : base(name, "locally_connected2d")
    {
        _filters = filters;
        _kernel = kernel;
        _stride = stride;
        _padding = padding;
        _useBias = useBias;
        _init = init ?? Initializer.Default;
        _biasInit = biasInit;
    }

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType) =>
        Ops.Select(op => new OpDescriptor(op, dataType)
        {
            Shape = inputShapes[0],
            Convolution = op == BackendOp.LocallyConnected ? Geometry(inputShapes[0]) : null,
        });

    /// <inheritdoc/>
    public long MultiplyAccumulates => _weight?.Value.ElementCount ?? 0; // no sharing: every weight is used once

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
        _rowShape = new Shape(checked((int)_outputShape.ElementCount)); // bias is per filter and position: N×(K·out_h·out_w)
        int fanIn = context.InputShape[0] * _geometry.KernelVolume;
        _weight = AddParameter("weight", new Shape(_outputShape[1] * _outputShape[2], _filters, fanIn));
        _init.Fill(_weight.Value, fanIn, _filters * _geometry.KernelVolume, CounterRandom.Derive(context.Seed, 0));
        if (_useBias)
        {
            _bias = AddParameter("bias", _outputShape);
            Initializer.FillBias(_biasInit, _bias.Value, fanIn, CounterRandom.Derive(context.Seed, 1));
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], _outputShape);
        Backend.LocallyConnectedForward(_geometry!, input, _weight!.Value, y);
        if (_bias is not null)
        {
            // Seen as N×(filters·positions), every (filter, position) is a "channel" with its own bias.
            Backend.AddChannelBias(_outputRows.Of(y, _rowShape), _bias.Value);
        }
        _input = training ? input : null;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => Backward(outputGradient, needInputGradient: true)!;

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient, bool needInputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Backend.LocallyConnectedBackwardFilter(_geometry!, x, outputGradient, _weight!.Gradient);
        if (_bias is not null)
        {
            Backend.SumChannels(_gradientRows.Of(outputGradient, _rowShape), _bias.Gradient);
        }
        if (!needInputGradient)
        {
            return null; // the layer reads the model input, whose gradient was not asked for
        }
        Tensor dx = InputGradientBuffer().Like(x);
        Backend.LocallyConnectedBackwardData(_geometry!, outputGradient, _weight.Value, dx);
        return dx;
    }

    private ConvolutionGeometry Geometry(Shape input) => _padding.Geometry(input, _kernel, _stride, [1, 1], 1);
}
