using Engine.Host;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// An error caused by a missing or broken plugin says which and why on its own (a CI log once showed
/// only "known extensions: none (is the Engine.Interop.Onnx plugin loaded?)"), and the built engine
/// carries every plugin of the repository (that run's cause: the engine's plugins/ was copied before
/// the ONNX plugin was built).
/// </summary>
public sealed class PluginFailureTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-plugin-failure-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AnErrorNamesEachPluginThatFailedToLoadAndWhy()
    {
        // The ONNX plugin half copied, as a staging step racing a reader would leave it; and a second
        // broken plugin, so that each gets its own line.
        string plugins = Directory.CreateDirectory(Path.Combine(_folder, "plugins")).FullName;
        string onnx = Stage(plugins, "Engine.Interop.Onnx", bytes => bytes[..(bytes.Length / 2)]);
        string garbage = Path.Combine(plugins, "Garbage.dll");
        File.WriteAllBytes(garbage, [1, 2, 3, 4]);

        var (code, error) = Run("export", "--model", "resnet20", "--output", Path.Combine(_folder, "resnet20.onnx"), "--plugins", plugins);

        Assert.Equal(1, code);
        string[] lines = error.TrimEnd().ReplaceLineEndings("\n").Split('\n');
        Assert.True(lines.Length == 3, error);
        Assert.Equal($"error: no model format reads or writes '{Path.Combine(_folder, "resnet20.onnx")}'; known extensions: none "
            + $"(is the Engine.Interop.Onnx plugin loaded? the plugins loaded from {plugins}, {PluginDiscovery.DefaultFolder} are none)", lines[0]);
        Assert.StartsWith($"  plugin Engine.Interop.Onnx failed to load from {onnx}: not a loadable .NET assembly", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"  plugin Garbage failed to load from {garbage}: not a loadable .NET assembly", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingOnnxPluginIsToldApartByThePluginsThatDidLoad()
    {
        string plugins = Directory.CreateDirectory(Path.Combine(_folder, "plugins")).FullName;
        Stage(plugins, "Engine.Models.Classic", bytes => bytes);

        var (code, error) = Run("export", "--model", "resnet20", "--output", Path.Combine(_folder, "resnet20.onnx"), "--plugins", plugins);

        Assert.Equal(1, code);
        Assert.Equal($"error: no model format reads or writes '{Path.Combine(_folder, "resnet20.onnx")}'; known extensions: none "
            + $"(is the Engine.Interop.Onnx plugin loaded? the plugins loaded from {plugins}, {PluginDiscovery.DefaultFolder} are Engine.Models.Classic)", error.TrimEnd());
    }

    [Fact]
    public void AnErrorWithEveryPluginLoadedHasNoPluginLines()
    {
        var (code, output, error) = CliRunner.Run("export", "--model", "no-such-model", "--output", Path.Combine(_folder, "x.onnx"));
        Assert.Equal(1, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public void TheBuiltEngineCarriesEveryPluginOfTheRepository()
    {
        // artifacts/engine/engine (what the README examples and the out-of-process tests run) loads
        // plugins/ beside it, which Engine.Cli's build copies from artifacts/plugins: each plugin project
        // must have been staged by then, the same bytes.
        string[] names = [.. Directory.GetDirectories(Path.Combine(RepoPaths.Root, "plugins"))
            .Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj"))).Select(Path.GetFileName).OfType<string>()];
        Assert.Contains("Engine.Interop.Onnx", names);
        foreach (string name in names)
        {
            string staged = Path.Combine(RepoPaths.StagedPlugins, name, name + ".dll");
            string shipped = Path.Combine(RepoPaths.Root, "artifacts", "engine", "plugins", name, name + ".dll");
            Assert.True(File.Exists(shipped), $"{shipped} is missing: Engine.Cli copied artifacts/plugins before {name} was staged (Engine.Cli.csproj must build every plugin first)");
            Assert.True(File.ReadAllBytes(staged).AsSpan().SequenceEqual(File.ReadAllBytes(shipped)), $"{shipped} differs from {staged}");
        }
    }

    // Copies a staged plugin's folder into plugins, its main assembly passed through doctor; returns that assembly's path.
    private static string Stage(string plugins, string name, Func<byte[], byte[]> doctor)
    {
        string source = Path.Combine(RepoPaths.StagedPlugins, name), target = Path.Combine(plugins, name);
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            byte[] bytes = File.ReadAllBytes(file);
            File.WriteAllBytes(destination, Path.GetFileName(file) == name + ".dll" ? doctor(bytes) : bytes);
        }
        return Path.Combine(target, name + ".dll");
    }

    // The command in-process without the staged plugins that CliRunner adds (the test host's own
    // plugins/, the default folder, does not exist).
    private static (int Code, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = EngineCli.Run(args, output, error);
        Assert.Equal("", output.ToString());
        return (code, error.ToString());
    }
}
