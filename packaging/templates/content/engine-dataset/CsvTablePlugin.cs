using Engine;
using Microsoft.Extensions.DependencyInjection;

namespace MyDataset;

/// <summary>
/// The plugin's entry point: registers the <c>csv-table</c> data set. Train on it with
/// <c>engine train --plugins DIR --dataset csv-table --data sample-data --model sample-data/model.json</c>.
/// </summary>
public sealed class CsvTablePlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services) => services.AddSingleton<IDatasetLoader, CsvTableLoader>();
}
