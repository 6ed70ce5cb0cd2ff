using Microsoft.Extensions.DependencyInjection;

namespace Engine;

/// <summary>
/// The entry point of a plugin assembly: a public class with a parameterless constructor that
/// registers what the plugin offers. Register implementations of <see cref="IBackendProvider"/>,
/// <see cref="ILayerFactory"/>, <see cref="ILossFactory"/>, <see cref="IOptimizerFactory"/>,
/// <see cref="IDatasetLoader"/> and <see cref="IModelDefinition"/> as singletons.
/// </summary>
public interface IEnginePlugin
{
    /// <summary>Adds the plugin's services.</summary>
    void Register(IServiceCollection services);
}

/// <summary>Makes backends. Creating one may fail (native library missing); probing says so first.</summary>
public interface IBackendProvider
{
    /// <summary>Name users write, e.g. <c>openblas</c>.</summary>
    string Name { get; }

    /// <summary>The kind of device.</summary>
    DeviceKind Device { get; }

    /// <summary>Checks whether the backend can run here (loads native libraries); never throws.</summary>
    BackendProbe Probe();

    /// <summary>Creates the backend; throws <see cref="BackendException"/> with the probe's reason when unavailable.</summary>
    IBackend Create();
}

/// <summary>Result of <see cref="IBackendProvider.Probe"/>.</summary>
/// <param name="IsAvailable">Whether the backend can be created.</param>
/// <param name="Detail">When available, what it runs on; otherwise which library failed, where it looked, and the loader's error.</param>
public sealed record BackendProbe(bool IsAvailable, string Detail);
