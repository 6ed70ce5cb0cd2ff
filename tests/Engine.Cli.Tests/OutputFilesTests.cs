using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// Output files are checked before the first step: writable (once, a read-only folder failed after the
/// whole run and left a zero-byte file), and distinct from each other and from the inputs.
/// </summary>
public sealed class OutputFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-outputs-").FullName;

    public OutputFilesTests() => Directory.CreateDirectory(Path.Combine(_folder, "read-only"));

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(_folder, "read-only"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData("--metrics", "metrics.csv")]
    [InlineData("--curves", "curves.svg")]
    [InlineData("--log-steps", "steps.csv")]
    [InlineData("--checkpoint", "run.ckpt")]
    public void AnOutputInAReadOnlyFolderIsRefusedBeforeTraining(string option, string name)
    {
        string folder = ReadOnlyFolder();
        string path = Path.Combine(folder, name);
        var (code, output, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", option, path);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {option} '{path}' cannot be written: ", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("training  ", output);
        Assert.DoesNotContain("backend ", output); // refused before anything was loaded
        Assert.False(File.Exists(path), "a file was left behind");
    }

    [Fact]
    public void TheSameFileForTwoOutputsIsRefusedNamingBoth()
    {
        string path = Path.Combine(_folder, "x.csv");
        var (code, output, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", "--checkpoint", path, "--metrics", path);
        Assert.Equal(1, code);
        Assert.Equal($"error: --checkpoint '{path}' and --metrics '{path}' are the same file: one would overwrite the other", error.TrimEnd());
        Assert.Equal("", output);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void TwoNamesForOneFileAreTheSameFile()
    {
        string metrics = Path.Combine(_folder, "m.csv");
        string steps = Path.Combine(_folder, "sub", "..", "m.csv");
        var (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--metrics", metrics, "--log-steps", steps);
        Assert.Equal(1, code);
        Assert.Contains($"--metrics '{metrics}' and --log-steps '{steps}' are the same file", error);
    }

    [Fact]
    public void AnOutputOverAnInputIsRefused()
    {
        string config = Path.Combine(_folder, "run.json");
        File.WriteAllText(config, """{"epochs": 1}""");
        var (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--config", config, "--metrics", config);
        Assert.Equal(1, code);
        Assert.Equal($"error: --metrics '{config}' is the input --config '{config}': writing it would destroy the input", error.TrimEnd());
        Assert.Equal("""{"epochs": 1}""", File.ReadAllText(config));
    }

    [Fact]
    public void AFileWhereAFolderShouldBeIsRefused()
    {
        string file = Path.Combine(_folder, "plain");
        File.WriteAllText(file, "x");
        string path = Path.Combine(file, "m.csv");
        var (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--metrics", path);
        Assert.Equal(1, code);
        Assert.Equal($"error: --metrics '{path}' cannot be written: '{file}' is a file, not a folder", error.TrimEnd());
    }

    // A folder this process cannot write: mode 0555, or (as root, who ignores modes) a path under /sys.
    private string ReadOnlyFolder()
    {
        string folder = Path.Combine(_folder, "read-only");
        Directory.CreateDirectory(folder);
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(folder, "sub\0"); // no mode bits on Windows: a name no folder can have
        }
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            File.WriteAllText(Path.Combine(folder, "probe"), "");
            File.Delete(Path.Combine(folder, "probe"));
            return "/sys/engine-read-only-test";
        }
        catch (UnauthorizedAccessException)
        {
            return folder;
        }
    }
}
