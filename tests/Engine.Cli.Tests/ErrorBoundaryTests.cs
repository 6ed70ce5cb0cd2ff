using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// Careless or hostile input that once ended in an unhandled .NET exception (exit code 134 and a stack
/// trace): each now gives exit code 1 and one 'error:' line naming the thing at fault.
/// </summary>
public sealed class ErrorBoundaryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-errors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ADuplicateKeyInAModelFileNamesTheFileAndKey()
    {
        string model = Write("dup.json", """
            {"name": "m", "layers": [{"type": "flatten"},
              {"type": "dense", "units": 10, "units": 20}]}
            """);
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--model", model);
        Assert.Contains($"{model}: invalid JSON: Duplicate property 'units'", error);
    }

    [Fact]
    public void ADuplicateKeyInAConfigFileNamesTheFileAndKey()
    {
        string config = Write("dup-config.json", "{\"epochs\": 1,\n \"epochs\": 2}");
        string error = OneError("train", "--data", RepoPaths.Mnist, "--config", config);
        Assert.Contains($"--config file '{config}': invalid JSON: Duplicate property 'epochs'", error);
    }

    [Fact]
    public void AHugeBatchSizeIsAnErrorLineNotACrash()
    {
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", "--batch-size", "10000000");
        Assert.Contains("too large", error);
    }

    [Fact]
    public void ANaNScheduleArgumentIsAnErrorLineNotACrash()
    {
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", "--schedule", "exponential:gamma=NaN");
        Assert.Contains("invalid value", error);
    }

    [Fact]
    public void AnOverflowInsideAPluginIsBlamedOnThatPlugin()
    {
        string model = Write("pad.json", """
            {"name": "p", "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": 100000},
              {"type": "flatten"}, {"type": "dense", "units": 10}]}
            """);
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--model", model);
        Assert.Contains("error: plugin Engine.Layers.Standard failed in ", error);
        Assert.Contains("a number is too large", error);
    }

    [Fact]
    public void VerboseAddsTheStackTrace()
    {
        var (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", "--batch-size", "10000000", "--verbose");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("   at ", error);
        Assert.Contains("OverflowException", error);
    }

    /// <summary>Runs the CLI and asserts exit code 1, a single 'error:' line and no stack trace; returns the line.</summary>
    internal static string OneError(params string[] args)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.True(code == 1, $"exit code {code}, stderr: {error}");
        Assert.StartsWith("error: ", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", error);
        return error.TrimEnd();
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
