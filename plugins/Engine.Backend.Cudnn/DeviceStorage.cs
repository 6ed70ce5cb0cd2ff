namespace Engine.Backend.Cudnn;

/// <summary>
/// Device memory of one tensor of the cuDNN backend, rented from the backend's
/// <see cref="DeviceAllocator"/> and given back when the owning tensor is disposed (or, as a safety
/// net, when it is finalised: giving back touches no CUDA API, so the finalizer thread may do it).
/// </summary>
internal sealed class DeviceStorage : TensorStorage
{
    private readonly DeviceAllocator _allocator;
    private readonly long _rounded;
    private nint _pointer;

    internal DeviceStorage(DeviceAllocator allocator, long byteLength, IBackend owner) : base(byteLength, owner)
    {
        _allocator = allocator;
        _pointer = allocator.Rent(byteLength, out _rounded);
    }

    ~DeviceStorage() => Dispose();

    /// <summary>The device address of the first byte.</summary>
    public nint Pointer
    {
        get
        {
            ThrowIfDisposed();
            return _pointer;
        }
    }

    /// <inheritdoc/>
    protected override void Release()
    {
        // 0 when the constructor's Rent threw (the finalizer still runs on such an object).
        if (_pointer != 0)
        {
            _allocator.Return(_pointer, _rounded);
            _pointer = 0;
        }
    }
}
