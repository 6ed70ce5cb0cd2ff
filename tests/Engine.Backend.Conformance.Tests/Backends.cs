using Engine.Conformance;
using Engine.Host;

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

    /// <summary>Names of the available backends (theory data).</summary>
    public static TheoryData<string> Available()
    {
        var data = new TheoryData<string>();
        foreach (IBackendProvider provider in Host.Value.Catalog.Backends.Where(b => b.Probe().IsAvailable))
        {
            data.Add(provider.Name);
        }
        return data;
    }

    /// <summary>The component catalogue of the staged plugins.</summary>
    public static Engine.Core.ComponentCatalog Catalog => Host.Value.Catalog;

    /// <summary>Creates the backend named <paramref name="name"/>.</summary>
    public static IBackend Create(string name) => Host.Value.CreateBackend(name);

    /// <summary>Runs the whole kit on <paramref name="backend"/> with the CPU backend as reference; every case's result, in order.</summary>
    public static (ConformanceSummary Summary, List<CaseResult> Results) RunKit(IBackend backend, string? filter = null)
    {
        using IBackend reference = Create("cpu");
        var results = new List<CaseResult>();
        var options = new ConformanceOptions { Reference = reference, Catalog = Catalog, Filter = filter };
        ConformanceSummary summary = ConformanceKit.Run(backend, options, results.Add);
        return (summary, results);
    }
}
