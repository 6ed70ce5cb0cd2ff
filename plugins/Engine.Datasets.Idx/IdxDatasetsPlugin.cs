using Microsoft.Extensions.DependencyInjection;

namespace Engine.Datasets.Idx;

/// <summary>
/// Plugin entry point: offers the <c>mnist</c> and <c>fashion-mnist</c> data sets, both read from
/// IDX files by <see cref="IdxDatasetLoader"/>.
/// </summary>
public sealed class IdxDatasetsPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // Loaders hold no state beyond their names, so one shared instance of each is enough.
        services.AddSingleton<IDatasetLoader>(IdxDatasetLoader.Mnist());
        services.AddSingleton<IDatasetLoader>(IdxDatasetLoader.FashionMnist());
    }
}
