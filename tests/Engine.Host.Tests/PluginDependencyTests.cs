using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace Engine.Host.Tests;

/// <summary>
/// What the plugin loader (McMaster.NETCore.Plugins) resolves from a plugin's own folder: private
/// managed dependencies, side by side with other plugins' versions of them, and native libraries.
/// </summary>
public sealed class PluginDependencyTests
{
    // A library "Helper" whose assembly version and answer differ between the two builds.
    private static byte[] Helper(string version, int answer) => PluginCompiler.Compile("Helper", $$"""
        [assembly: System.Reflection.AssemblyVersion("{{version}}")]

        namespace Helpers;

        public static class Answer
        {
            public static int Value => {{answer}};
        }
        """, []);

    // A plugin that, when registered, reports which Helper it bound to through an environment variable.
    private static byte[] PluginUsing(string name, byte[] helper, string variable) => PluginCompiler.Compile(name, $$"""
        using Microsoft.Extensions.DependencyInjection;

        namespace {{name}};

        public sealed class Entry : Engine.IEnginePlugin
        {
            public void Register(IServiceCollection services) =>
                System.Environment.SetEnvironmentVariable("{{variable}}",
                    $"{typeof(Helpers.Answer).Assembly.GetName().Version} {Helpers.Answer.Value}");
        }
        """, [MetadataReference.CreateFromFile(typeof(IEnginePlugin).Assembly.Location), MetadataReference.CreateFromImage(helper)]);

    [Fact]
    public void TwoPluginsCarryingDifferentVersionsOfALibraryEachGetTheirOwn()
    {
        using var folder = new PluginFolder();
        string tag = Guid.NewGuid().ToString("N")[..8];
        string variableA = $"ENGINE_TEST_HELPER_A_{tag}", variableB = $"ENGINE_TEST_HELPER_B_{tag}";
        byte[] helper1 = Helper("1.0.0.0", 17), helper2 = Helper("2.0.0.0", 42);
        folder.AddFile("PluginA/PluginA.dll", PluginUsing("PluginA", helper1, variableA));
        folder.AddFile("PluginA/Helper.dll", helper1);
        folder.AddFile("PluginB/PluginB.dll", PluginUsing("PluginB", helper2, variableB));
        folder.AddFile("PluginB/Helper.dll", helper2);

        using EngineHost host = PluginLoadingTests.HostFor(folder.Path);

        Assert.All(host.Plugins, p => Assert.Equal(PluginStatus.Loaded, p.Status));
        Assert.Equal("1.0.0.0 17", Environment.GetEnvironmentVariable(variableA));
        Assert.Equal("2.0.0.0 42", Environment.GetEnvironmentVariable(variableB));
        AssemblyLoadContext contextA = AssemblyLoadContext.GetLoadContext(host.Plugins.Single(p => p.Name == "PluginA").Assembly!)!;
        Assert.Equal(Path.Combine(folder.Path, "PluginA", "Helper.dll"), contextA.Assemblies.Single(a => a.GetName().Name == "Helper").Location);
    }

    [Fact]
    public void APluginsNativeLibraryLoadsFromItsOwnFolder()
    {
        // The image-folder plugin decodes through SkiaSharp, whose libSkiaSharp.so sits under the
        // plugin's runtimes/<rid>/native/ and is named only in the plugin's .deps.json. A copy of the
        // plugin in a fresh folder must load that copy's native library, and decode a real JPEG with it.
        using var folder = new PluginFolder();
        folder.AddStaged("Engine.Datasets.ImageFolder");
        using var data = new TempFolder();
        byte[] jpeg = Convert.FromBase64String(TinyJpeg);
        data.Write("train/a/1.jpg", jpeg);
        data.Write("test/a/2.jpg", jpeg);

        using EngineHost host = PluginLoadingTests.HostFor(folder.Path);
        DatasetSplits splits = host.LoadDataset("image-folder", data.Path);

        Assert.Equal(new Shape(1, 8, 8), splits.Train.SampleShape);
        var sample = new float[64];
        splits.Train.CopySample(0, sample);
        Assert.InRange(sample.Average(), 0.45, 0.55); // the file is mid-grey (128) throughout, give or take JPEG rounding

        Assembly skia = AssemblyLoadContext.GetLoadContext(host.Plugins.Single().Assembly!)!.Assemblies.Single(a => a.GetName().Name == "SkiaSharp");
        Assert.StartsWith(folder.Path, skia.Location, StringComparison.Ordinal);
        string[] maps = File.ReadAllLines("/proc/self/maps");
        Assert.Contains(maps, line => line.EndsWith("libSkiaSharp.so", StringComparison.Ordinal) && line.Contains(folder.Path, StringComparison.Ordinal));
    }

    // An 8×8 grey JPEG, every sample 128 (written once with SkiaSharp; the host tests reference no imaging code).
    private const string TinyJpeg =
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/wAALCAAIAAgBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z";
}
