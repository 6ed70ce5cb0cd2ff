using Engine.Host;
using Engine.Tests;

namespace Engine.Backend.Conformance.Tests;

/// <summary>The backends under test: every available backend plugin in the staged plugin folder.</summary>
public static class Backends
{
    private static readonly Lazy<EngineHost> Host = new(() =>
    {
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.Add(RepoPaths.StagedPlugins);
        return EngineHost.Create(options);
    });

    /// <summary>Names of the available backends (theory data), with each data type they support for <paramref name="op"/>.</summary>
    public static TheoryData<string, DataType> For(BackendOp op)
    {
        var data = new TheoryData<string, DataType>();
        foreach (IBackendProvider provider in Available())
        {
            using IBackend backend = provider.Create();
            foreach (DataType type in Enum.GetValues<DataType>().Where(t => backend.Supports(op, t)))
            {
                data.Add(provider.Name, type);
            }
        }
        return data;
    }

    /// <summary>The component catalogue of the staged plugins (layers for layer-level conformance).</summary>
    public static Engine.Core.ComponentCatalog Catalog => Host.Value.Catalog;

    /// <summary>Every backend provider that can run on this machine.</summary>
    public static IEnumerable<IBackendProvider> Available() => Host.Value.Catalog.Backends.Where(b => b.Probe().IsAvailable);

    /// <summary>Creates the backend named <paramref name="name"/>.</summary>
    public static IBackend Create(string name) => Host.Value.CreateBackend(name);

    /// <summary>Tolerance for comparing with the float64 reference.</summary>
    public static (double Absolute, double Relative) Tolerance(DataType type) =>
        type == DataType.Float64 ? (1e-10, 1e-9) : (1e-4, 1e-4);
}
