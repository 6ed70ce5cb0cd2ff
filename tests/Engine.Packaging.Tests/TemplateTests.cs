using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Tests;

namespace Engine.Packaging.Tests;

/// <summary>
/// Each `dotnet new` template makes a plugin that builds against the packed SDK package and that
/// the engine loads and uses; the sample plugin builds from the SDK package the same way.
/// </summary>
[Collection(LocalFeedCollection.Name)]
[Trait("Category", "Packaging")]
public sealed partial class TemplateTests(LocalFeed feed)
{
    [Fact]
    public void TheLayerTemplateMakesALayerThatTrains()
    {
        string plugins = CreateAndBuild("engine-layer", "Acme.Layers", "--layer-name", "acme-tanh");
        Assert.Matches(@"layer\s+acme-tanh\s+scaled tanh", EngineOk(["plugins", "--plugins", plugins]));

        // Its example model (flatten → dense → acme-tanh → dense) on 2,000 MNIST digits, one epoch:
        // the layer's backward pass must be right for the network to learn.
        string model = Path.Combine(feed.Root, "Acme.Layers", "model.json");
        string output = EngineOk(["train", "--plugins", plugins, "--model", model, "--data", RepoPaths.Mnist, "--limit", "2000", "--epochs", "1", "--no-progress"]);
        Assert.Contains("dense → acme-tanh → dense", output);
        Assert.InRange(FinalAccuracy(output), 0.6, 1.0);
    }

    [Fact]
    public void TheBackendTemplateMakesABackendThatPassesTheConformanceKit()
    {
        string plugins = CreateAndBuild("engine-backend", "Acme.Cpu", "--backend-name", "acme-cpu");
        Assert.Matches(@"backend\s+acme-cpu\s+available", EngineOk(["plugins", "--plugins", plugins]));

        string output = EngineOk(["check-backend", "acme-cpu", "--plugins", plugins, "--hide-skipped"]);
        Match summary = Regex.Match(output, @"(\d+) passed, (\d+) failed");
        Assert.True(summary.Success, output);
        Assert.Equal("0", summary.Groups[2].Value);
        Assert.True(int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture) >= 300, output);
    }

    [Fact]
    public void TheDatasetTemplateMakesALoaderThatTrains()
    {
        string plugins = CreateAndBuild("engine-dataset", "Acme.Data", "--dataset-name", "acme-csv");
        Assert.Matches(@"dataset\s+acme-csv\s", EngineOk(["plugins", "--plugins", plugins]));

        // Its sample data: two well separated clusters of four values, 40 training and 10 test rows.
        string data = Path.Combine(feed.Root, "Acme.Data", "sample-data");
        string output = EngineOk(["train", "--plugins", plugins, "--dataset", "acme-csv", "--data", data, "--model", Path.Combine(data, "model.json"),
            "--epochs", "10", "--batch-size", "8", "--lr", "0.1", "--no-progress"]);
        Assert.Contains("40 training, 10 test examples of [1, 1, 4], 2 classes", output);
        Assert.Equal(1.0, FinalAccuracy(output));
    }

    [Fact]
    public void TheSamplePluginBuildsFromTheSdkPackage()
    {
        // A copy outside the repository, as a third party has it.
        string project = feed.NewFolder("SwishLayer");
        foreach (string file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples", "SwishLayer")))
        {
            File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
        }
        string plugins = feed.NewFolder("swish-plugins");
        feed.RunOk("dotnet", ["build", project, "-c", "Release", "-o", Path.Combine(plugins, "SwishLayer"), $"-p:EngineSdkVersion={feed.Version}", "--nologo", "-v", "q"], feed.Root);
        AssertNoSharedCopies(Path.Combine(plugins, "SwishLayer"));
        Assert.Matches(@"layer\s+swish\s+swish / SiLU", EngineOk(["plugins", "--plugins", plugins]));
    }

    // dotnet new TEMPLATE -n NAME OPTION VALUE, then dotnet build into a plugin folder of its own; returns that folder.
    private string CreateAndBuild(string template, string name, string option, string value)
    {
        string project = Path.Combine(feed.Root, name);
        feed.RunOk("dotnet", ["new", template, "-n", name, option, value, "-o", project, "--debug:custom-hive", feed.Hive], feed.Root);
        string plugins = feed.NewFolder($"{name}-plugins");
        string output = Path.Combine(plugins, name);
        feed.RunOk("dotnet", ["build", project, "-c", "Release", "-o", output, "--nologo", "-v", "q"], feed.Root);
        Assert.True(File.Exists(Path.Combine(output, $"{name}.dll")), $"no {name}.dll in {output}");
        AssertNoSharedCopies(output);
        return plugins;
    }

    // The host shares the SDK and the DI abstractions with plugins: a copy beside a plugin would be a second type.
    private static void AssertNoSharedCopies(string folder)
    {
        Assert.False(File.Exists(Path.Combine(folder, "Engine.Abstractions.dll")), $"the SDK was copied into {folder}");
        Assert.False(File.Exists(Path.Combine(folder, "Microsoft.Extensions.DependencyInjection.Abstractions.dll")), $"the DI abstractions were copied into {folder}");
    }

    private string EngineOk(string[] args)
    {
        string output = feed.RunOk(LocalFeed.Engine, args, feed.Root);
        Assert.DoesNotContain("Failed (1", output);
        return output;
    }

    internal static double FinalAccuracy(string output)
    {
        Match m = FinalAccuracyLine().Match(output);
        Assert.True(m.Success, output);
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"final test accuracy ([0-9.]+)")]
    private static partial Regex FinalAccuracyLine();
}
