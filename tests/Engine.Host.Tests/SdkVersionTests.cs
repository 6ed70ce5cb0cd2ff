using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace Engine.Host.Tests;

/// <summary>
/// A plugin built against another SDK is refused from its metadata, with one line naming the file and
/// both versions, before any of its code is loaded; one built against this SDK loads.
/// </summary>
public sealed class SdkVersionTests
{
    private static EngineHost HostFor(string folder)
    {
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.Add(folder);
        return EngineHost.Create(options);
    }

    /// <summary>Writes a plugin compiled against a stand-in SDK of <paramref name="sdk"/> (shipped beside it).</summary>
    private static string AddPluginBuiltAgainst(PluginFolder folder, string name, Version sdk, string trace)
    {
        byte[] fakeSdk = PluginCompiler.FakeSdk(sdk);
        byte[] plugin = PluginCompiler.Compile(name, PluginCompiler.PluginSource(trace), [MetadataReference.CreateFromImage(fakeSdk)]);
        string dir = Directory.CreateDirectory(Path.Combine(folder.Path, name)).FullName;
        File.WriteAllBytes(Path.Combine(dir, "Engine.Abstractions.dll"), fakeSdk);
        File.WriteAllBytes(Path.Combine(dir, name + ".dll"), plugin);
        return Path.Combine(dir, name + ".dll");
    }

    public static TheoryData<int, int, string> IncompatibleSdks => new()
    {
        { 1, 2, "(major versions must match; rebuild the plugin against SDK {0}.x)" },
        { EngineSdk.Major + 1, 0, "(major versions must match; rebuild the plugin against SDK {0}.x)" },
        { EngineSdk.Major, EngineSdk.Minor + 1, $"(the plugin needs SDK {EngineSdk.Major}.{EngineSdk.Minor + 1} or newer; update the engine, or rebuild the plugin against SDK {{1}})" },
    };

    [Theory]
    [MemberData(nameof(IncompatibleSdks))]
    public void PluginBuiltAgainstAnIncompatibleSdkIsRefusedBeforeAnyOfItIsLoaded(int major, int minor, string reason)
    {
        string name = $"Sdk{major}x{minor}Plugin";
        string trace = "ENGINE_TEST_TRACE_" + Guid.NewGuid().ToString("N");
        using var folder = new PluginFolder();
        string file = AddPluginBuiltAgainst(folder, name, new Version(major, minor, 0, 0), trace);

        using EngineHost host = HostFor(folder.Path);

        PluginRecord record = Assert.Single(host.Plugins);
        Assert.Equal(PluginStatus.Failed, record.Status);
        Assert.Equal(file, record.FilePath);
        Assert.Equal(new Version(major, minor), record.SdkVersion);
        string expected = $"{name}.dll was built against Engine SDK {major}.{minor} but this host provides SDK {EngineSdk.Major}.{EngineSdk.Minor} " +
            string.Format(System.Globalization.CultureInfo.InvariantCulture, reason, EngineSdk.Major, EngineSdk.Version);
        Assert.Equal(expected, record.Message);
        Assert.Equal($"FAILED {file}: {expected}", record.ToString());
        Assert.DoesNotContain('\n', record.Message);

        // Nothing of it was loaded: no assembly, no load context, none of its code ran, nothing registered.
        Assert.Null(record.Assembly);
        Assert.Empty(record.Registrations);
        Assert.DoesNotContain(AssemblyLoadContext.All, c => c.Name == name);
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == name);
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(),
            a => a.GetName().Name == "Engine.Abstractions" && a.GetName().Version != typeof(EngineSdk).Assembly.GetName().Version);
        Assert.Null(Environment.GetEnvironmentVariable(trace));
    }

    [Fact]
    public void TheSamePluginBuiltAgainstThisSdkLoads()
    {
        // The control for the test above: the same source, compiled the same way, against the real SDK.
        const string name = "CurrentSdkPlugin";
        string trace = "ENGINE_TEST_TRACE_" + Guid.NewGuid().ToString("N");
        using var folder = new PluginFolder();
        byte[] plugin = PluginCompiler.Compile(name, PluginCompiler.PluginSource(trace),
            [MetadataReference.CreateFromFile(typeof(EngineSdk).Assembly.Location)]);
        string dir = Directory.CreateDirectory(Path.Combine(folder.Path, name)).FullName;
        File.WriteAllBytes(Path.Combine(dir, name + ".dll"), plugin);

        using EngineHost host = HostFor(folder.Path);

        PluginRecord record = Assert.Single(host.Plugins);
        Assert.True(record.Status == PluginStatus.Loaded, record.Message);
        Assert.Equal(EngineSdk.Version, record.SdkVersion);
        Assert.Equal("registered", Environment.GetEnvironmentVariable(trace));
        Assert.Contains(record.Registrations, r => r is { Category: "service", Name: "Uri" });
    }
}
