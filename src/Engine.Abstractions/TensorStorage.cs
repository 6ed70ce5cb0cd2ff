namespace Engine;

/// <summary>
/// Memory owned by a backend. Each backend subclasses this with its own handle (a host pointer, a
/// device pointer) and checks that tensors passed to it carry its own storage type.
/// </summary>
/// <remarks>
/// <para>The storage carries a write <see cref="Version"/>: every op of a backend bumps the version of
/// each tensor it writes (the SDK's <see cref="BackendContract"/> does it for the op's outputs, so every
/// backend that checks its calls there does), as do host uploads (<see cref="IBackend.CopyFromHost{T}"/>).
/// Whoever writes the memory another way — through a backend's raw address such as the CPU backend's
/// pointer, a native library, a collective outside the backend — must call <see cref="MarkWritten"/>
/// after writing, before anything reads the tensor again. Caches of values derived from a tensor
/// (repacked or transformed weights, a copy of the weights on another thread) compare versions to
/// know that the tensor is unchanged since they derived it.</para>
/// </remarks>
public abstract class TensorStorage : IDisposable
{
    private int _disposed;
    private long _version;

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

    /// <summary>
    /// How many times the memory has been written (or marked written) since it was allocated. Equal
    /// versions of the same storage mean equal contents; a value kept by a reader is valid only for the
    /// storage object it was read from.
    /// </summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>
    /// Records a write of the memory: bumps <see cref="Version"/>. Backends call it for every tensor an
    /// op writes; code that writes the memory outside the backend's ops (a raw address) must call it too.
    /// </summary>
    public void MarkWritten() => Interlocked.Increment(ref _version);

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
