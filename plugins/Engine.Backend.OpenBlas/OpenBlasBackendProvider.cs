namespace Engine.Backend.OpenBlas;

/// <summary>Makes <see cref="OpenBlasBackend"/> instances; the backend is available when OpenBLAS loads.</summary>
public sealed class OpenBlasBackendProvider : IBackendProvider
{
    /// <inheritdoc/>
    public string Name => "openblas";

    /// <inheritdoc/>
    public DeviceKind Device => DeviceKind.Cpu;

    /// <inheritdoc/>
    public BackendProbe Probe()
    {
        try
        {
            bool available = OpenBlasLibrary.TryLoad(out string detail);
            return new BackendProbe(available, detail);
        }
        catch (Exception ex)
        {
            // TryLoad does not throw; this only guards the promise that probing never does.
            return new BackendProbe(false, $"could not load OpenBLAS: {ex.Message}");
        }
    }

    /// <inheritdoc/>
    public IBackend Create()
    {
        BackendProbe probe = Probe();
        if (!probe.IsAvailable)
        {
            throw new BackendException($"the openblas backend is unavailable: {probe.Detail}");
        }
        return new OpenBlasBackend();
    }
}
