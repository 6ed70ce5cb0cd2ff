using System.IO.Compression;
using Engine.Tests;

namespace Engine.Packaging.Tests;

/// <summary>What `./build.sh pack` makes: which packages, with which version, carrying what.</summary>
[Collection(LocalFeedCollection.Name)]
[Trait("Category", "Packaging")]
public sealed class PackageContentsTests(LocalFeed feed)
{
    [Fact]
    public void PackMakesSixPackagesWithTheOneVersionOfTheSdk()
    {
        string[] ids = ["Engine.Abstractions", "Engine.Core", "Engine.Host", "Engine.Conformance", "Engine.Cli", "Engine.Templates"];
        Assert.Equal(ids.Select(id => $"{id}.{feed.Version}.nupkg").Order(), Directory.GetFiles(feed.Feed, "*.nupkg").Select(Path.GetFileName).Order());
        // The package version is the SDK version the host checks plugins against.
        Assert.StartsWith($"{EngineSdk.Major}.{EngineSdk.Minor}.", feed.Version, StringComparison.Ordinal);
    }

    [Fact]
    public void TheHostPackageCarriesTheStandardPluginsAndCopiesThemBesideTheApplication()
    {
        string[] entries = Entries("Engine.Host");
        Assert.Contains("lib/net10.0/Engine.Host.dll", entries);
        Assert.All(StagedPlugins, name => Assert.Contains($"plugins/{name}/{name}.dll", entries));
        Assert.Contains("build/Engine.Host.targets", entries);
        Assert.Contains("buildTransitive/Engine.Host.targets", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("plugins/", StringComparison.Ordinal) && e.EndsWith(".pdb", StringComparison.Ordinal));
        // The SDK is the host's, shared with every plugin: never a copy in a plugin's folder.
        Assert.DoesNotContain(entries, e => e.StartsWith("plugins/", StringComparison.Ordinal) && e.EndsWith("/Engine.Abstractions.dll", StringComparison.Ordinal));
    }

    [Fact]
    public void TheToolPackageCarriesTheStandardPlugins()
    {
        string[] entries = Entries("Engine.Cli");
        Assert.Contains("tools/net10.0/any/DotnetToolSettings.xml", entries);
        Assert.Contains("tools/net10.0/any/engine.dll", entries);
        Assert.All(StagedPlugins, name => Assert.Contains($"tools/net10.0/any/plugins/{name}/{name}.dll", entries));
    }

    [Fact]
    public void TheTemplatesReferenceTheSdkPackedBesideThem()
    {
        using ZipArchive zip = ZipFile.OpenRead(feed.PackagePath("Engine.Templates"));
        foreach (string template in new[] { "engine-layer/MyLayer", "engine-backend/MyBackend", "engine-dataset/MyDataset" })
        {
            ZipArchiveEntry entry = zip.GetEntry($"content/{template}.csproj") ?? throw new Xunit.Sdk.XunitException($"no {template}.csproj in the template package");
            using var reader = new StreamReader(entry.Open());
            string project = reader.ReadToEnd();
            Assert.Contains($"<PackageReference Include=\"Engine.Abstractions\" Version=\"{feed.Version}\" ExcludeAssets=\"runtime\" />", project);
            Assert.DoesNotContain("_VERSION", project);
        }
    }

    // Every plugin the build staged (artifacts/plugins/<Name>/<Name>.dll): what `engine` ships.
    private static string[] StagedPlugins
    {
        get
        {
            string[] names = [.. Directory.GetDirectories(RepoPaths.StagedPlugins).Select(Path.GetFileName).OfType<string>()];
            Assert.Contains("Engine.Backend.OpenBlas", names);
            Assert.True(names.Length >= 8, $"only {names.Length} staged plugins: {string.Join(", ", names)}");
            return names;
        }
    }

    private string[] Entries(string id)
    {
        using ZipArchive zip = ZipFile.OpenRead(feed.PackagePath(id));
        return [.. zip.Entries.Select(e => e.FullName)];
    }
}
