namespace Engine.Backend.Cudnn;

/// <summary>
/// Makes <see cref="CudnnBackend"/> instances. Available when the shim loads, finds the CUDA driver,
/// runtime, cuBLAS, cuDNN 9 and NVRTC, and opens a device; otherwise <see cref="Probe"/> says which
/// library or device is missing and the loader's error.
/// </summary>
public sealed class CudnnBackendProvider : IBackendProvider, IDeviceCollectivesProvider
{
    /// <inheritdoc/>
    public string Name => "cudnn";

    /// <inheritdoc/>
    public DeviceKind Device => DeviceKind.Gpu;

    /// <inheritdoc/>
    public BackendProbe Probe()
    {
        bool available = ShimLibrary.TryInitialize(out string detail);
        return new BackendProbe(available, detail);
    }

    /// <inheritdoc/>
    public IBackend Create() => new CudnnBackend();

    /// <inheritdoc/>
    public byte[] CreateGroupId()
    {
        try
        {
            ShimLibrary.LoadLibraries(); // the shim and the CUDA libraries, but no device: the launcher trains on none
        }
        catch (BackendException e)
        {
            throw new BackendException($"backend '{Name}' is unavailable: {e.Message}"); // as the host says when it cannot create the backend
        }
        return NcclLibrary.UniqueId();
    }
}
