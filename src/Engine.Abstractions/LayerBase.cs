namespace Engine;

/// <summary>
/// A convenient base for layers: keeps the backend and input shape from
/// <see cref="ILayer.Initialize"/>, allocates parameters, and owns reusable buffers whose capacity
/// only grows (<see cref="TensorBuffer"/>), so a training loop allocates nothing per step and a smaller
/// batch reuses the memory of a larger one. Its output buffer (<see cref="OutputBuffer"/>) takes the
/// memory a network offers for inference (<see cref="OfferInferenceOutput"/>).
/// </summary>
public abstract class LayerBase : ILayer
{
    private readonly List<Parameter> _parameters = [];
    private readonly List<TensorBuffer> _buffers = [];
    private IBackend? _backend;
    private TensorBuffer? _output;
    private TensorBuffer? _offeredOutput;
    private TensorBuffer? _inputGradient;
    private TensorBuffer? _offeredInputGradient;

    /// <summary>Creates the layer with its instance name and kind.</summary>
    protected LayerBase(string name, string kind)
    {
        Name = name;
        Kind = kind;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Kind { get; }

    /// <summary>The op families the layer uses; <see cref="RequiredOps"/> describes each with the data type alone.</summary>
    protected abstract IReadOnlyCollection<BackendOp> OpFamilies { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// The default lists <see cref="OpFamilies"/> with the data type; a layer whose kernels depend
    /// on parameters (a window geometry, an activation) overrides it to describe those ops fully.
    /// </remarks>
    public virtual IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType) =>
        OpFamilies.Select(op => new OpDescriptor(op, dataType));

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The backend given to <see cref="Initialize"/>.</summary>
    protected IBackend Backend => _backend ?? throw new InvalidOperationException($"layer '{Name}' ({Kind}) was used before Initialize");

    /// <summary>Per-sample input shape given to <see cref="Initialize"/>.</summary>
    protected Shape InputShape { get; private set; }

    /// <summary>Element type of parameters and activations.</summary>
    protected DataType DataType { get; private set; }

    /// <inheritdoc/>
    public abstract Shape InferOutputShape(Shape inputShape);

    /// <inheritdoc/>
    public void Initialize(LayerContext context)
    {
        if (_backend is not null)
        {
            throw new InvalidOperationException($"layer '{Name}' ({Kind}) is already initialised");
        }
        // Validates the input shapes before anything is allocated.
        if (this is IMergeLayer merge)
        {
            merge.InferOutputShape(context.InputShapes);
        }
        else
        {
            InferOutputShape(context.InputShape);
        }
        _backend = context.Backend;
        InputShape = context.InputShape;
        DataType = context.DataType;
        OnInitialize(context);
    }

    /// <summary>Allocates and initialises parameters; the default has none.</summary>
    protected virtual void OnInitialize(LayerContext context)
    {
    }

    /// <inheritdoc/>
    public abstract Tensor Forward(Tensor input, bool training);

    /// <inheritdoc/>
    public abstract Tensor Backward(Tensor outputGradient);

    /// <inheritdoc/>
    /// <remarks>
    /// The default computes d(loss)/d(input) anyway; a layer with parameters overrides it to skip
    /// that work when <paramref name="needInputGradient"/> is false (the first convolution of a network).
    /// </remarks>
    public virtual Tensor? Backward(Tensor outputGradient, bool needInputGradient) => Backward(outputGradient);

    /// <inheritdoc/>
    public void OfferInferenceOutput(TensorBuffer? buffer) => _offeredOutput = buffer;

    /// <inheritdoc/>
    /// <remarks>The default, both, is always safe; a layer that reads less in backward overrides it.</remarks>
    public virtual SavedForBackward SavedForBackward => SavedForBackward.InputAndOutput;

    /// <summary>
    /// Where <see cref="Forward"/> writes its output: the memory the network offered (in inference,
    /// and in training when nothing reads the output in backward; when it is bound to this layer's
    /// backend and data type), otherwise the layer's own buffer. Use it for the returned tensor only:
    /// an offered buffer is reused by later layers.
    /// </summary>
    protected TensorBuffer OutputBuffer(bool training) =>
        _offeredOutput is { } offered && offered.IsBoundTo(Backend, DataType)
            ? offered
            : _output ??= CreateBuffer();

    /// <inheritdoc/>
    public void OfferInputGradient(TensorBuffer? buffer) => _offeredInputGradient = buffer;

    /// <summary>
    /// Where <see cref="Backward(Tensor)"/> writes the input gradient: the memory the network offered
    /// (when it is bound to this layer's backend and data type), otherwise the layer's own buffer.
    /// Use it for the returned gradient only: an offered buffer is reused by other layers.
    /// </summary>
    protected TensorBuffer InputGradientBuffer() =>
        _offeredInputGradient is { } offered && offered.IsBoundTo(Backend, DataType)
            ? offered
            : _inputGradient ??= CreateBuffer();

    /// <summary>
    /// Adds a parameter named <c>{layer}.{localName}</c>; its gradient is allocated on the first
    /// backward pass, so a model that only runs inference holds none.
    /// </summary>
    protected Parameter AddParameter(string localName, Shape shape)
    {
        var parameter = new Parameter($"{Name}.{localName}", Backend.Allocate(shape, DataType));
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// A buffer this layer owns and frees, bound to its backend and data type, for outputs, gradients
    /// and scratch reused across steps. It allocates on its first request, so an input-gradient buffer
    /// made here costs nothing until a backward pass asks for it.
    /// </summary>
    protected TensorBuffer CreateBuffer()
    {
        var buffer = new TensorBuffer(Backend, DataType);
        _buffers.Add(buffer);
        return buffer;
    }

    /// <summary>Throws a <see cref="ShapeException"/> naming this layer.</summary>
    protected ShapeException ShapeError(string problem) => new($"layer '{Name}' ({Kind}): {problem}");

    /// <summary>Frees parameters and buffers.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees parameters and buffers; override to free more.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        foreach (var p in _parameters)
        {
            p.Dispose();
        }
        foreach (var b in _buffers)
        {
            b.Dispose();
        }
        _parameters.Clear();
        _buffers.Clear();
        _output = null;
        _offeredOutput = null;
        _inputGradient = null;
        _offeredInputGradient = null;
    }
}
