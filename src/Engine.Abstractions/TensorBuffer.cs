namespace Engine;

/// <summary>
/// Working memory kept between calls (a layer's output or gradient, a loss's or regulariser's
/// scratch, a network's gradient sum) whose capacity only grows. Asking for a smaller tensor than
/// the allocation holds returns a view of its first elements (for a batch, its first rows) instead of
/// freeing and reallocating: the last partial batch of an epoch and the switch between training and
/// evaluation batch sizes allocate nothing once the largest size has been seen, and on a device
/// backend no free (which synchronises) happens mid-run. Memory is reallocated only when a request
/// needs more bytes, another backend or another data type.
/// </summary>
/// <remarks>
/// A buffer is either bound to a backend and data type (<see cref="TensorBuffer(IBackend, DataType)"/>;
/// a layer's buffers are) and then also answers <see cref="Get(Shape)"/>, <see cref="ForBatch"/> and
/// <see cref="Like"/>, or unbound (a loss, which serves any backend) and told both on each call.
/// The tensor returned stays valid until the next request that changes its shape or grows the buffer,
/// or until <see cref="Dispose"/>; its contents are undefined unless the same shape was asked for last
/// time. Callers never dispose it. Requests compare dimensions in place, so asking again for the
/// same shape allocates nothing, not even a <see cref="Shape"/>.
/// </remarks>
public sealed class TensorBuffer : IDisposable
{
    private readonly IBackend? _backend;
    private readonly DataType _dataType;
    private Tensor? _allocation; // owns the memory
    private IBackend? _allocatedBy; // the backend asked (a decorator may hand out tensors of its inner backend)
    private Tensor? _current;    // the tensor last handed out: the allocation itself or a view of it
    private List<Tensor>? _views; // views of the allocation made so far, one per shape

    /// <summary>An unbound buffer: every request names the backend and data type.</summary>
    public TensorBuffer()
    {
    }

    /// <summary>A buffer bound to <paramref name="backend"/> and <paramref name="dataType"/>.</summary>
    public TensorBuffer(IBackend backend, DataType dataType)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
        _dataType = dataType;
    }

    /// <summary>Bytes allocated now (0 before the first request and after <see cref="Dispose"/>).</summary>
    public long CapacityBytes => _allocation?.Storage.ByteLength ?? 0;

    /// <summary>Whether this buffer is bound to <paramref name="backend"/> and <paramref name="dataType"/>.</summary>
    public bool IsBoundTo(IBackend backend, DataType dataType) => ReferenceEquals(_backend, backend) && _dataType == dataType;

    /// <summary>Whether <paramref name="tensor"/> lives in this buffer's memory (it or a view of it).</summary>
    public bool Holds(Tensor tensor) => _allocation is not null && ReferenceEquals(tensor.Storage, _allocation.Storage);

    /// <summary>A tensor of <paramref name="shape"/> on <paramref name="backend"/> in <paramref name="dataType"/>.</summary>
    public Tensor Get(IBackend backend, DataType dataType, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (_current is not null && Matches(backend, dataType) && _current.Shape == shape)
        {
            return _current;
        }
        return Provide(backend, dataType, shape);
    }

    /// <summary>A <paramref name="rows"/>×<paramref name="columns"/> matrix.</summary>
    public Tensor Get(IBackend backend, DataType dataType, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (_current is not null && Matches(backend, dataType) && _current.Shape.Rank == 2
            && _current.Shape[0] == rows && _current.Shape[1] == columns)
        {
            return _current;
        }
        return Provide(backend, dataType, new Shape(rows, columns));
    }

    /// <summary>A one-element tensor (shape [1]).</summary>
    public Tensor Scalar(IBackend backend, DataType dataType)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (_current is not null && Matches(backend, dataType) && _current.Shape.Rank == 1 && _current.Shape[0] == 1)
        {
            return _current;
        }
        return Provide(backend, dataType, new Shape(1));
    }

    /// <summary>A tensor of <paramref name="shape"/> on the bound backend and data type.</summary>
    public Tensor Get(Shape shape) => Get(BoundBackend, _dataType, shape);

    /// <summary>A tensor of shape <paramref name="batch"/>×<paramref name="sampleShape"/> on the bound backend.</summary>
    public Tensor ForBatch(int batch, Shape sampleShape)
    {
        IBackend backend = BoundBackend;
        if (_current is not null && Matches(backend, _dataType) && _current.Shape.Rank == sampleShape.Rank + 1
            && _current.Shape[0] == batch && _current.Shape.AsSpan()[1..].SequenceEqual(sampleShape.AsSpan()))
        {
            return _current;
        }
        return Provide(backend, _dataType, sampleShape.WithBatch(batch));
    }

    /// <summary>
    /// A tensor with the shape of <paramref name="other"/>: on the bound backend and data type, or, for
    /// an unbound buffer, on <paramref name="other"/>'s.
    /// </summary>
    public Tensor Like(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _backend is null ? Get(other.Backend, other.DataType, other.Shape) : Get(_backend, _dataType, other.Shape);
    }

    /// <summary>Frees the memory; a later request allocates again.</summary>
    public void Dispose()
    {
        _allocation?.Dispose();
        _allocation = null;
        _allocatedBy = null;
        _current = null;
        _views?.Clear();
    }

    private IBackend BoundBackend => _backend
        ?? throw new InvalidOperationException("this TensorBuffer is not bound to a backend; name the backend and data type in the request");

    private bool Matches(IBackend backend, DataType dataType) =>
        ReferenceEquals(_allocatedBy, backend) && _allocation!.DataType == dataType;

    // A view of the allocation under another shape (a smaller batch; or, for memory that a network
    // shares between layers, another layer's shape). Views are kept, one per shape, so that memory
    // shared by layers of a few shapes hands out the same objects every step and a steady-state step
    // creates none; a long list (many shapes) is searched from its newest end, and stops growing.
    private Tensor View(Shape shape, DataType dataType)
    {
        const int MaxViews = 64;
        _views ??= [];
        for (int v = _views.Count - 1; v >= 0; v--)
        {
            if (_views[v].Shape == shape)
            {
                return _views[v];
            }
        }
        var view = new Tensor(_allocation!.Backend, _allocation.Storage, shape, dataType, ownsStorage: false);
        if (_views.Count < MaxViews)
        {
            _views.Add(view);
        }
        return view;
    }

    private Tensor Provide(IBackend backend, DataType dataType, Shape shape)
    {
        long bytes = shape.ElementCount * dataType.SizeInBytes();
        if (_allocation is not null && Matches(backend, dataType) && _allocation.Storage.ByteLength >= bytes)
        {
            _current = _allocation.Shape == shape ? _allocation : View(shape, dataType);
            return _current;
        }
        // Growing frees the old memory and every view of it: holders of earlier tensors must ask again.
        Dispose();
        _allocation = backend.Allocate(shape, dataType);
        _allocatedBy = backend;
        _current = _allocation;
        return _current;
    }
}
