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
    public void AHugeBatchSizeNamesTheOptionAndTheTensorItCannotHold()
    {
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", "--batch-size", "10000000");
        Assert.Equal("error: --batch-size 10000000: the input would hold 10,000,000 × [1, 28, 28] = 7,840,000,000 values in one tensor; at most 2,147,483,647 (a smaller --batch-size fits)", error);
    }

    [Fact]
    public void ABatchTooLargeForALayerNamesThatLayer()
    {
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", "--model", "lenet5", "--batch-size", "1000000");
        Assert.Equal("error: --batch-size 1000000: layer 'conv1' (conv2d) would hold 1,000,000 × [6, 28, 28] = 4,704,000,000 values in one tensor; at most 2,147,483,647 (a smaller --batch-size fits)", error);
    }

    [Theory]
    [InlineData("exponential:gamma=NaN", "'gamma' is NaN")]
    [InlineData("step:step_size=1,gamma=-Infinity", "'gamma' is -Infinity")]
    [InlineData("step:step_size=1,gamma=1e999", "'gamma' is 1e999")]
    public void ANonFiniteScheduleArgumentIsRefusedByName(string schedule, string what)
    {
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", "--schedule", schedule);
        Assert.Equal($"error: learning-rate schedule '{schedule}': {what}; expected a finite number", error);
    }

    [Fact]
    public void AnAbsurdPaddingNamesTheLayerItsArgumentsAndTheSize()
    {
        string model = Write("pad.json", """
            {"name": "p", "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": 100000},
              {"type": "flatten"}, {"type": "dense", "units": 10}]}
            """);
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--model", model);
        Assert.Equal("error: model 'p' layer #1 'conv2d1' (conv2d) with {\"filters\":4,\"kernel\":3,\"padding\":100000}: output [4, 200026, 200026] is 160,041,602,704 values per sample (640.2 GB in float32); one tensor holds at most 2,147,483,647", error);
    }

    [Fact]
    public void AnAbsurdUnitCountNamesTheLayerAndTheParameterShape()
    {
        string model = Write("units.json", """
            {"name": "u", "layers": [{"type": "flatten"}, {"type": "dense", "units": 1000000000}, {"type": "dense", "units": 10}]}
            """);
        string error = OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--model", model);
        Assert.Equal("error: model 'u' layer #2 'dense1' (dense) with {\"units\":1000000000}: a parameter too large for the backend: [1000000000, 784] has 784000000000 elements; the openblas backend handles at most 2147483647 elements per tensor", error);
    }

    [Theory]
    [InlineData("1x100000x100000", "error: --input: shape [1, 100000, 100000] is 10,000,000,000 values per sample (40 GB in float32); one tensor holds at most 2,147,483,647")]
    [InlineData("2147483647x2147483647x2147483647", "error: --input: shape [2147483647, 2147483647, 2147483647] is 9.9E+27 values per sample (3.96E+28 bytes in float32); one tensor holds at most 2,147,483,647")]
    public void AnAbsurdInputShapeIsRefusedBeforeAnyLayer(string input, string expected)
    {
        Assert.Equal(expected, OneError("summary", "--model", "mlp", "--input", input));
    }

    [Fact]
    public void AnInputThatMakesALayerOutputTooLargeNamesTheLayer()
    {
        string error = OneError("summary", "--model", "lenet5", "--input", "1x40000x40000");
        Assert.StartsWith("error: model 'lenet5' layer #1 'conv1' (conv2d) with {\"filters\":6,\"kernel\":5,\"padding\":2}: output [6, 40000, 40000] is 9,600,000,000 values per sample", error);
    }

    [Theory]
    [InlineData("--augment", "crop=100000", "error: augmentation 'crop=100000': padding must be smaller than the 28×28 image, or crops would hold no image at all (crop=4 is usual for 32×32)")]
    [InlineData("--schedule", "cosine:min_lr=100", "error: schedule 'cosine': min_lr 100 is above the base learning rate 0.1; the rate would climb instead of annealing")]
    [InlineData("--freeze", "*", "error: --freeze '*' freezes every parameter of model 'mlp': nothing would train (freeze fewer, e.g. 'conv*')")]
    public void SettingsThatWouldTrainNothingUsefulAreRefused(string option, string value, string expected)
    {
        Assert.Equal(expected, OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", option, value));
    }

    [Fact]
    public void AnIntegerTooLargeForAnArgumentSaysItsRange()
    {
        string model = Write("big-units.json", """{"name": "u", "layers": [{"type": "flatten"}, {"type": "dense", "units": 1e10}]}""");
        Assert.Equal("error: model 'u' layer #2 'dense1' (dense): argument 'units' is 1e10; it must be in [1, 2147483647]",
            OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", "--model", model));
    }

    [Fact]
    public void ADeviceAsAnImageIsRefusedNotReadUntilMemoryRunsOut()
    {
        Assert.Equal("error: /dev/zero: image file is not a regular file (a device or a pipe?): refused",
            OneError("predict", "--checkpoint", TrainedCheckpoint.Path, "--image", "/dev/zero"));
    }

    [Fact]
    public void AParseErrorIsOneLineInPlainWordsWithoutTheHelp()
    {
        Assert.Equal("error: Cannot parse argument 'x' for option '--limit': expected an integer (see 'engine train --help')",
            OneError("train", "--limit", "x"));
    }

    [Fact]
    public void AFolderWhereAFileShouldBeIsCalledAFolder()
    {
        Assert.Equal($"error: {_folder}: is a folder, not a model file", OneError("train", "--data", RepoPaths.Mnist, "--model", _folder));
        Assert.Equal($"error: --resume '{_folder}' is a folder; give a checkpoint file", OneError("train", "--data", RepoPaths.Mnist, "--resume", _folder));
    }

    [Fact]
    public void AClosedStandardOutputIsOneErrorLine()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec artifacts/engine/engine plugins >&-");
        using var process = System.Diagnostics.Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(1, process.ExitCode);
        Assert.StartsWith("error: cannot write to standard output (is it closed, or the disk full?): ", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void VerboseAddsTheStackTraceOfAnUnexpectedException()
    {
        var error = new StringWriter();
        EngineCli.ShowStackTraces.Value = true;
        int code = EngineCli.Guard(error, () => throw new InvalidOperationException("boom"));
        Assert.Equal(1, code);
        string[] lines = error.ToString().Split('\n');
        Assert.StartsWith("error: ", lines[0]);
        Assert.EndsWith("InvalidOperationException: boom", lines[0].TrimEnd());
        Assert.Contains("   at ", error.ToString());
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
