using Microsoft.Extensions.DependencyInjection;

namespace Engine.Backend.OpenBlas;

/// <summary>Plugin entry point: offers the <c>openblas</c> backend.</summary>
public sealed class OpenBlasPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IBackendProvider, OpenBlasBackendProvider>();
    }
}
