using System.Runtime.Loader;
using Engine.Tests;

namespace Engine.Host.Tests;

public sealed class PluginLoadingTests
{
    /// <summary>A host that searches exactly <paramref name="folders"/> (no default folder, no environment variable).</summary>
    internal static EngineHost HostFor(params string[] folders)
    {
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.AddRange(folders);
        return EngineHost.Create(options);
    }

    [Fact]
    public void StagedPluginsLoadAndSayWhatTheyRegister()
    {
        using EngineHost host = HostFor(RepoPaths.StagedPlugins);
        var layers = host.Plugins.Single(p => p.Name == "Engine.Layers.Standard");
        Assert.Equal(PluginStatus.Loaded, layers.Status);
        Assert.EndsWith(Path.Combine("Engine.Layers.Standard", "Engine.Layers.Standard.dll"), layers.FilePath);
        Assert.Equal(EngineSdk.Version, layers.SdkVersion);
        Assert.Contains(layers.Registrations, r => r is { Category: "layer", Name: "dense" });
        Assert.Contains(layers.Registrations, r => r is { Category: "layer", Name: "relu" });

        var datasets = host.Plugins.Single(p => p.Name == "Engine.Datasets.Idx");
        Assert.Contains(datasets.Registrations, r => r is { Category: "dataset", Name: "mnist" });
        Assert.Contains(host.Plugins.Single(p => p.Name == "Engine.Models.Classic").Registrations, r => r is { Category: "model", Name: "mlp" });

        Assert.Equal("dense", host.Catalog.Layer("dense").Name);
        Assert.Equal("mlp", host.ResolveModel("mlp").Name);
    }

    [Fact]
    public void BadFilesEachGetOneLineAndTheRestStillLoad()
    {
        using var folder = new PluginFolder();
        folder.AddStaged("Engine.Layers.Standard");
        folder.AddFile("Broken.dll", [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0xFF, 0x13, 0x37]);
        folder.AddFile("NotAPlugin.dll", File.ReadAllBytes(typeof(Assert).Assembly.Location));
        string old = folder.AddStaged("Engine.Models.Classic", "OldSdkPlugin");
        PluginFolder.SetSdkReferenceVersion(old, 99, 3);

        using EngineHost host = HostFor(folder.Path);

        Assert.Equal(4, host.Plugins.Count);
        PluginRecord Record(string file) => host.Plugins.Single(p => Path.GetFileName(p.FilePath) == file);

        Assert.Equal(PluginStatus.Loaded, Record("Engine.Layers.Standard.dll").Status);
        Assert.NotNull(host.Catalog.Layer("dense"));

        var broken = Record("Broken.dll");
        Assert.Equal(PluginStatus.Failed, broken.Status);
        Assert.Contains("not a loadable .NET assembly", broken.Message);

        var notPlugin = Record("NotAPlugin.dll");
        Assert.Equal(PluginStatus.Failed, notPlugin.Status);
        Assert.Contains("not an Engine plugin: it does not reference Engine.Abstractions", notPlugin.Message);

        var oldSdk = Record("OldSdkPlugin.dll");
        Assert.Equal(PluginStatus.Failed, oldSdk.Status);
        Assert.Contains($"OldSdkPlugin.dll was built against Engine SDK 99.3 but this host provides SDK {EngineSdk.Version}", oldSdk.Message);
        Assert.Contains(oldSdk.FilePath, oldSdk.ToString());

        Assert.All(host.Plugins, p => Assert.DoesNotContain('\n', p.Message));
        Assert.Throws<ConfigurationException>(() => host.Catalog.Model("mlp")); // the refused plugin registered nothing
    }

    [Fact]
    public void EachPluginGetsItsOwnLoadContextButSharesTheSdk()
    {
        using EngineHost first = HostFor(RepoPaths.StagedPlugins);
        using EngineHost second = HostFor(RepoPaths.StagedPlugins);
        var a = first.Plugins.Single(p => p.Name == "Engine.Layers.Standard").Assembly!;
        var b = second.Plugins.Single(p => p.Name == "Engine.Layers.Standard").Assembly!;

        Assert.NotSame(a, b);
        AssemblyLoadContext contextA = AssemblyLoadContext.GetLoadContext(a)!;
        Assert.NotSame(AssemblyLoadContext.Default, contextA);
        Assert.NotSame(contextA, AssemblyLoadContext.GetLoadContext(b));

        // Type identity: the plugin's IEnginePlugin is the host's, so the cast in the loader worked.
        Type entry = a.GetExportedTypes().Single(t => typeof(IEnginePlugin).IsAssignableFrom(t));
        Assert.Same(typeof(IEnginePlugin), entry.GetInterfaces().Single(i => i.Name == nameof(IEnginePlugin)));
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(IEnginePlugin).Assembly));

        // Each host resolves its own factory instance through the shared interface.
        Assert.NotSame(first.Catalog.Layer("dense"), second.Catalog.Layer("dense"));
    }

    [Fact]
    public void ModelPluginCarriesTheLayerHelpersInItsOwnContextAndRegistersNoLayers()
    {
        // Engine.Models.Classic builds its specs with the StandardLayers extension methods, so its
        // folder carries a copy of Engine.Layers.Standard.dll. That copy lives in the model plugin's
        // context, exchanges only SDK types with it, and is never scanned for IEnginePlugin classes.
        using EngineHost host = HostFor(RepoPaths.StagedPlugins);
        var models = host.Plugins.Single(p => p.Name == "Engine.Models.Classic");
        Assert.Equal("lenet5", host.ResolveModel("lenet5").Name);

        AssemblyLoadContext context = AssemblyLoadContext.GetLoadContext(models.Assembly!)!;
        Assert.Contains(context.Assemblies, a => a.GetName().Name == "Engine.Layers.Standard");
        Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name == "Engine.Abstractions");
        Assert.DoesNotContain(models.Registrations, r => r.Category == "layer");
        Assert.Single(host.Catalog.Layers, l => l.Name == "conv2d");
    }

    [Fact]
    public void SamePluginInTwoFoldersLoadsOnce()
    {
        using var folder = new PluginFolder();
        folder.AddStaged("Engine.Models.Classic");
        using EngineHost host = HostFor(RepoPaths.StagedPlugins, folder.Path);
        var records = host.Plugins.Where(p => p.Name == "Engine.Models.Classic").ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal(PluginStatus.Loaded, records[0].Status);
        Assert.Contains("already loaded from", records[1].Message);
        Assert.Single(host.Catalog.Models, m => m.Name == "mlp");
    }

    [Fact]
    public void UnknownNamesListWhatIsKnown()
    {
        using EngineHost host = HostFor(RepoPaths.StagedPlugins);
        var e = Assert.Throws<ConfigurationException>(() => host.Catalog.Layer("dens"));
        Assert.Contains("unknown layer kind 'dens'", e.Message);
        Assert.Contains("dense", e.Message);
        var d = Assert.Throws<ConfigurationException>(() => host.LoadDataset("cifar-1000", "x"));
        Assert.Contains("mnist", d.Message);
    }

    [Fact]
    public void MissingFoldersAreNotAnError()
    {
        using EngineHost host = HostFor(Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid()));
        Assert.Empty(host.Plugins);
        Assert.Contains("softmax-cross-entropy", host.Catalog.Losses.Select(l => l.Name));
    }
}
