using Microsoft.Extensions.DependencyInjection;

namespace Engine.Datasets.ImageFolder;

/// <summary>Plugin entry point: offers the <c>image-folder</c> data set (<see cref="ImageFolderDatasetLoader"/>).</summary>
public sealed class ImageFolderDatasetsPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IDatasetLoader>(new ImageFolderDatasetLoader());
    }
}
