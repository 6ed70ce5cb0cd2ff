namespace Engine.Cli.Tests;

/// <summary>
/// The global --cudnn-algorithms, --cudnn-workspace-mb and --cudnn-layout: wrong values end in one error line naming
/// the option and the value; right ones reach GPU backends through their environment variables (the
/// choice itself is tested on the shim's emulator in Engine.Backend.Cudnn.Emulator.Tests).
/// </summary>
public sealed class CudnnOptionTests
{
    [Fact]
    public void ANegativeWorkspaceLimitIsRefused()
    {
        var (code, output, error) = CliRunner.Run("bench", "train", "--model", "lenet5", "--cudnn-workspace-mb", "-1");
        Assert.Equal(1, code);
        Assert.Equal("error: --cudnn-workspace-mb must be 0 or more, got -1", error.TrimEnd());
        Assert.Equal("", output);
    }

    [Fact]
    public void AnUnknownAlgorithmModeNamesTheAcceptedOnes()
    {
        var (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--cudnn-algorithms", "fastest");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains("fastest", error);
        Assert.Contains("measured", error);
        Assert.Contains("heuristic", error);
    }

    [Fact]
    public void AnUnknownLayoutNamesTheAcceptedOnes()
    {
        var (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--cudnn-layout", "chwn");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains("chwn", error);
        Assert.Contains("nhwc", error);
        Assert.Contains("auto", error);
    }

    [Fact]
    public void TheValuesArePassedOnToGpuBackends()
    {
        try
        {
            // The CPU backend ignores them: the run goes on and the variables are set for GPU backends.
            var (code, _, error) = CliRunner.Run("summary", "--model", "lenet5", "--input", "1x28x28", "--cudnn-algorithms", "heuristic", "--cudnn-workspace-mb", "64",
                "--cudnn-layout", "nhwc");
            Assert.Equal("", error);
            Assert.Equal(0, code);
            Assert.Equal("heuristic", Environment.GetEnvironmentVariable("ENGINE_CUDNN_ALGORITHMS"));
            Assert.Equal("64", Environment.GetEnvironmentVariable("ENGINE_CUDNN_WORKSPACE_MB"));
            Assert.Equal("nhwc", Environment.GetEnvironmentVariable("ENGINE_CUDNN_LAYOUT"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("ENGINE_CUDNN_ALGORITHMS", null);
            Environment.SetEnvironmentVariable("ENGINE_CUDNN_WORKSPACE_MB", null);
            Environment.SetEnvironmentVariable("ENGINE_CUDNN_LAYOUT", null);
        }
    }
}
