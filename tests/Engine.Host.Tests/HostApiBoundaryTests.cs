using System.Text.Json.Nodes;
using Engine.Tests;
using Microsoft.CodeAnalysis;

namespace Engine.Host.Tests;

/// <summary>
/// The host API's entry points throw the engine's own exceptions, with the CLI's one-line messages,
/// for bad input and for failures inside plugin code: never a raw .NET exception.
/// </summary>
public sealed class HostApiBoundaryTests
{
    private static EngineHost Host(params string[] extra)
    {
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.AddRange(extra);
        options.PluginFolders.Add(RepoPaths.StagedPlugins);
        return EngineHost.Create(options);
    }

    [Fact]
    public void MissingArgumentsAreConfigurationErrorsNamingTheParameter()
    {
        using EngineHost host = Host();
        Assert.Equal("the host API was given no device (null)", Assert.Throws<ConfigurationException>(() => host.CreateBackend(null!)).Message);
        Assert.Equal("the host API was given no nameOrPath (null)", Assert.Throws<ConfigurationException>(() => host.ResolveModel(null!)).Message);
        Assert.Equal("the host API was given no directory (null)", Assert.Throws<ConfigurationException>(() => host.LoadDataset("mnist", null!)).Message);
        Assert.Equal("the host API was given no name (null)", Assert.Throws<ConfigurationException>(() => host.CreateOptimizer(null!)).Message);
    }

    [Fact]
    public void AnAbsurdInputShapeOrLayerSizeIsAConfigurationError()
    {
        using EngineHost host = Host();
        using IBackend backend = host.CreateBackend("cpu");
        var input = Assert.Throws<ConfigurationException>(() => host.BuildNetwork(host.ResolveModel("mlp"), backend, new Shape(1, 100000, 100000), seed: 1));
        Assert.Equal("the input: shape [1, 100000, 100000] is 10,000,000,000 values per sample (40 GB in float32); one tensor holds at most 2,147,483,647", input.Message);
        ModelSpec huge = new ModelBuilder("huge").Add("flatten").Add("dense", new JsonObject { ["units"] = 1_000_000_000 }).Build();
        var layer = Assert.Throws<ConfigurationException>(() => host.BuildNetwork(huge, backend, new Shape(1, 28, 28), seed: 1));
        Assert.StartsWith("model 'huge' layer #2 'dense1' (dense) with {\"units\":1000000000}: a parameter too large for the backend: [1000000000, 784]", layer.Message);
    }

    [Fact]
    public void AnExceptionInsideAPluginLayerIsAnEngineExceptionBlamingThePlugin()
    {
        using var folder = new PluginFolder();
        byte[] image = PluginCompiler.Compile("Boom", """
            using Microsoft.Extensions.DependencyInjection;

            namespace Boom;

            public sealed class BoomPlugin : Engine.IEnginePlugin
            {
                public void Register(IServiceCollection services) =>
                    services.AddSingleton<Engine.ILayerFactory>(new Engine.LayerFactory("boom", "throws when created", Create));

                private static Engine.ILayer Create(Engine.ComponentArguments arguments) => throw new System.InvalidOperationException("the boom layer always fails");
            }
            """, [MetadataReference.CreateFromFile(typeof(IEnginePlugin).Assembly.Location)]);
        Directory.CreateDirectory(Path.Combine(folder.Path, "Boom"));
        folder.AddFile(Path.Combine("Boom", "Boom.dll"), image);
        using EngineHost host = Host(folder.Path);
        using IBackend backend = host.CreateBackend("cpu");
        ModelSpec spec = new ModelBuilder("m").Add("boom").Build();
        var error = Assert.Throws<EngineException>(() => host.BuildNetwork(spec, backend, new Shape(1, 28, 28), seed: 1));
        Assert.Equal("plugin Boom failed in BoomPlugin.Create: InvalidOperationException: the boom layer always fails", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }
}
