using Microsoft.Extensions.DependencyInjection;

namespace Engine.Backend.Cudnn;

/// <summary>Plugin entry point: offers the <c>cudnn</c> GPU backend.</summary>
public sealed class CudnnPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IBackendProvider, CudnnBackendProvider>();
    }
}
