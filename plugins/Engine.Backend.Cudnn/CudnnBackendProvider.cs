namespace Engine.Backend.Cudnn;

/// <summary>
/// Makes <see cref="CudnnBackend"/> instances. Available when the shim loads, finds the CUDA driver,
/// runtime, cuBLAS, cuDNN 9 and NVRTC, and opens a device; otherwise <see cref="Probe"/> says which
/// library or device is missing and the loader's error.
/// </summary>
public sealed class CudnnBackendProvider : IBackendProvider
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
}
