using Microsoft.Extensions.DependencyInjection;

namespace Engine.Datasets.Cifar;

/// <summary>
/// Plugin entry point: offers <c>cifar-10</c>, <c>cifar-100</c> (fine labels) and
/// <c>cifar-100-coarse</c> (superclasses), read from the binary versions of the data sets.
/// </summary>
public sealed class CifarDatasetsPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IDatasetLoader>(new Cifar10DatasetLoader());
        services.AddSingleton<IDatasetLoader>(new Cifar100DatasetLoader(coarse: false));
        services.AddSingleton<IDatasetLoader>(new Cifar100DatasetLoader(coarse: true));
    }
}
