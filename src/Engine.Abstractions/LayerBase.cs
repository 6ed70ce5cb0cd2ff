namespace Engine;

/// <summary>
/// A convenient base for layers: keeps the backend and input shape from
/// <see cref="ILayer.Initialize"/>, allocates parameters, and owns reusable output buffers that are
/// reallocated only when the batch size changes, so a training loop allocates nothing per step.
/// </summary>
public abstract class LayerBase : ILayer
{
    private readonly List<Parameter> _parameters = [];
    private readonly List<TensorBuffer> _buffers = [];
    private IBackend? _backend;

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

    /// <summary>Allocates a parameter named <c>{layer}.{localName}</c> with a gradient of the same shape.</summary>
    protected Parameter AddParameter(string localName, Shape shape)
    {
        var parameter = new Parameter($"{Name}.{localName}", Backend.Allocate(shape, DataType), Backend.Allocate(shape, DataType));
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>A buffer this layer owns, for outputs and gradients reused across steps.</summary>
    protected TensorBuffer CreateBuffer()
    {
        var buffer = new TensorBuffer(this);
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
    }

    /// <summary>A tensor slot that is reallocated only when the requested shape changes.</summary>
    protected sealed class TensorBuffer : IDisposable
    {
        private readonly LayerBase _owner;
        private Tensor? _tensor;

        internal TensorBuffer(LayerBase owner) => _owner = owner;

        /// <summary>A tensor of <paramref name="shape"/> in the layer's data type (contents undefined).</summary>
        public Tensor Get(Shape shape)
        {
            if (_tensor is null || _tensor.Shape != shape)
            {
                _tensor?.Dispose();
                _tensor = _owner.Backend.Allocate(shape, _owner.DataType);
            }
            return _tensor;
        }

        /// <summary>
        /// A tensor of shape N×<paramref name="sampleShape"/>; compares dimensions in place so the
        /// steady state of a training loop allocates nothing.
        /// </summary>
        public Tensor ForBatch(int batch, Shape sampleShape)
        {
            if (_tensor is not null && _tensor.Shape.Rank == sampleShape.Rank + 1 && _tensor.Shape[0] == batch
                && _tensor.Shape.AsSpan()[1..].SequenceEqual(sampleShape.AsSpan()))
            {
                return _tensor;
            }
            return Get(sampleShape.WithBatch(batch));
        }

        /// <summary>A tensor with the same shape as <paramref name="other"/>.</summary>
        public Tensor Like(Tensor other) => Get(other.Shape);

        /// <summary>Frees the tensor.</summary>
        public void Dispose()
        {
            _tensor?.Dispose();
            _tensor = null;
        }
    }
}
