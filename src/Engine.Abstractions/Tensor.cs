namespace Engine;

/// <summary>
/// A handle to memory owned by a backend (host memory for the CPU backend, device memory for a GPU
/// backend). There is no element indexer on purpose: reading values means an explicit
/// <see cref="IBackend.CopyToHost{T}"/>. A tensor that owns its storage frees it on
/// <see cref="Dispose"/>; a view made by <see cref="Reshape"/> shares the storage and frees nothing.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly bool _ownsStorage;

    /// <summary>Wraps <paramref name="storage"/>; called by backends when they allocate.</summary>
    public Tensor(IBackend backend, TensorStorage storage, Shape shape, DataType dataType, bool ownsStorage = true)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(storage);
        long needed = shape.ElementCount * dataType.SizeInBytes();
        if (needed > storage.ByteLength)
        {
            throw new ArgumentException($"shape {shape} of {dataType} needs {needed} bytes but the storage holds {storage.ByteLength}");
        }
        Backend = backend;
        Storage = storage;
        Shape = shape;
        DataType = dataType;
        _ownsStorage = ownsStorage;
    }

    /// <summary>The backend whose memory this tensor lives in.</summary>
    public IBackend Backend { get; }

    /// <summary>The backend-specific memory handle.</summary>
    public TensorStorage Storage { get; }

    /// <summary>Full shape, batch dimension first.</summary>
    public Shape Shape { get; }

    /// <summary>Element type.</summary>
    public DataType DataType { get; }

    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.ElementCount;

    /// <summary>Whether this tensor (or, for a view, its storage) has been freed.</summary>
    public bool IsDisposed => Storage.IsDisposed;

    /// <summary>
    /// A view of the same memory with another shape of the same element count. The view does not
    /// own the memory: it is valid only while this tensor is.
    /// </summary>
    public Tensor Reshape(Shape shape)
    {
        if (shape.ElementCount != ElementCount)
        {
            throw new ArgumentException($"cannot reshape {Shape} ({ElementCount} elements) to {shape} ({shape.ElementCount} elements)");
        }
        return new Tensor(Backend, Storage, shape, DataType, ownsStorage: false);
    }

    /// <summary>Frees the memory if this tensor owns it.</summary>
    public void Dispose()
    {
        if (_ownsStorage)
        {
            Storage.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{Shape} {DataType} on {Backend.Name}";
}
