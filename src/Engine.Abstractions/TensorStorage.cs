namespace Engine;

/// <summary>
/// Memory owned by a backend. Each backend subclasses this with its own handle (a host pointer, a
/// device pointer) and checks that tensors passed to it carry its own storage type.
/// </summary>
public abstract class TensorStorage : IDisposable
{
    private int _disposed;

    /// <summary>Creates storage of <paramref name="byteLength"/> bytes allocated by <paramref name="owner"/>.</summary>
    protected TensorStorage(long byteLength, IBackend? owner = null)
    {
        ByteLength = byteLength;
        Owner = owner;
    }

    /// <summary>Size of the memory in bytes.</summary>
    public long ByteLength { get; }

    /// <summary>
    /// The backend that allocated the memory and computes on it. A decorating backend (counting,
    /// fallback) hands out tensors whose <see cref="Tensor.Backend"/> is itself while the storage
    /// stays its inner backend's, so the inner backend recognises its own memory by this owner.
    /// </summary>
    public IBackend? Owner { get; }

    /// <summary>Whether the memory has been released.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Releases the memory once; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Frees the backend memory.</summary>
    protected abstract void Release();

    /// <summary>Throws <see cref="ObjectDisposedException"/> when the memory has been released.</summary>
    public void ThrowIfDisposed()
    {
        if (IsDisposed)
        {
            throw new ObjectDisposedException(GetType().Name, "the tensor's memory has already been freed (disposed tensor used)");
        }
    }
}
