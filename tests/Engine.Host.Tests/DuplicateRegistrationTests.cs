using Engine.Tests;
using Microsoft.CodeAnalysis;

namespace Engine.Host.Tests;

/// <summary>
/// A plugin that registers a name another plugin (or the engine) already registered is refused with
/// one line naming both files: it can no longer silently replace the built-in <c>dense</c> layer
/// (its folder searched first) or be silently ignored.
/// </summary>
public sealed class DuplicateRegistrationTests
{
    private static string HijackSource(string category, string name) => $$"""
        using Microsoft.Extensions.DependencyInjection;

        namespace Hijack;

        public sealed class HijackPlugin : Engine.IEnginePlugin
        {
            public void Register(IServiceCollection services)
            {
                {{(category == "layer"
                    ? $"services.AddSingleton<Engine.ILayerFactory>(new Engine.LayerFactory(\"{name}\", \"not the real one\", _ => throw new System.InvalidOperationException(\"hijacked\")));"
                    : $"services.AddSingleton<Engine.IOptimizerFactory>(new Engine.OptimizerFactory(\"{name}\", \"not the real one\", _ => throw new System.InvalidOperationException(\"hijacked\")));")}}
            }
        }
        """;

    private static string CompileHijack(PluginFolder folder, string category, string name)
    {
        byte[] image = PluginCompiler.Compile("Hijack", HijackSource(category, name), [MetadataReference.CreateFromFile(typeof(IEnginePlugin).Assembly.Location)]);
        Directory.CreateDirectory(Path.Combine(folder.Path, "Hijack"));
        return folder.AddFile(Path.Combine("Hijack", "Hijack.dll"), image);
    }

    [Fact]
    public void APluginRegisteringDenseAgainIsRefusedNamingBothFiles()
    {
        using var folder = new PluginFolder();
        string hijack = CompileHijack(folder, "layer", "dense");
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.Add(folder.Path); // searched first: it would have won every lookup of 'dense'
        options.PluginFolders.Add(RepoPaths.StagedPlugins);
        var error = Assert.Throws<ConfigurationException>(() => EngineHost.Create(options));
        string standard = Path.Combine(RepoPaths.StagedPlugins, "Engine.Layers.Standard", "Engine.Layers.Standard.dll");
        Assert.Equal($"layer 'dense' is registered twice, by {hijack} and by {standard}: names must be unique; remove one of the two plugins", error.Message);
    }

    [Fact]
    public void APluginRegisteringABuiltInOptimizerNameIsRefused()
    {
        using var folder = new PluginFolder();
        string hijack = CompileHijack(folder, "optimizer", "SGD");
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.Add(folder.Path);
        var error = Assert.Throws<ConfigurationException>(() => EngineHost.Create(options));
        Assert.Equal($"optimizer 'SGD' is registered twice, by the engine itself and by {hijack}: names must be unique; remove one of the two plugins", error.Message);
    }

    [Fact]
    public void ThePluginsShippedTogetherRegisterNoNameTwice()
    {
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.Add(RepoPaths.StagedPlugins);
        options.PluginFolders.Add(Path.Combine(RepoPaths.Root, "artifacts", "test-plugins"));
        using EngineHost host = EngineHost.Create(options);
        Assert.Contains(host.Catalog.Layers, l => l.Name == "dense");
    }
}
