using Microsoft.Extensions.DependencyInjection;

namespace Engine.Models.Classic;

/// <summary>Registers the reference architectures.</summary>
public sealed class ClassicModelsPlugin : IEnginePlugin
{
    /// <summary>
    /// The name of the last (classifying) dense layer of every model here except <c>mlp</c>, whose
    /// layers keep their default names (dense1, dense2) for existing runs: transfer learning
    /// replaces the head by this name.
    /// </summary>
    public const string HeadName = "classifier";

    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton(MlpModel.Definition);
        services.AddSingleton(LeNet5Model.Definition);
        services.AddSingleton(VggCifarModel.Definition);
    }
}
