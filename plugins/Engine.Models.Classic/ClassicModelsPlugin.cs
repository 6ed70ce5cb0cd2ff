using Microsoft.Extensions.DependencyInjection;

namespace Engine.Models.Classic;

/// <summary>Registers the reference architectures.</summary>
public sealed class ClassicModelsPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton(MlpModel.Definition);
    }
}
