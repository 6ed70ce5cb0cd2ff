namespace Engine.Cli.Tests;

/// <summary>
/// --device gpu and auto on a machine without a GPU (every CI machine): the cuDNN plugin loads, says
/// why it is unavailable, gpu fails with that one line, and only auto falls back to the CPU.
/// </summary>
public sealed class GpuDeviceTests
{
    private static readonly Lazy<string> CudnnLine = new(() =>
        CliRunner.Run("plugins").Output.Split('\n').Single(l => l.TrimStart().StartsWith("backend   cudnn", StringComparison.Ordinal)));

    private static bool GpuPresent => !CudnnLine.Value.Contains("UNAVAILABLE", StringComparison.Ordinal);

    [Fact]
    public void DeviceGpuWithoutAGpuFailsWithTheMissingLibrary()
    {
        if (GpuPresent)
        {
            return; // the GPU machine runs the real thing in benchmarks/gpu/run_cudnn_checks.sh
        }
        var (code, output, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--device", "gpu", "--limit", "640", "--epochs", "1");
        Assert.Equal(1, code);
        Assert.Matches(@"^error: backend 'cudnn' is unavailable: no GPU: .+", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("epoch 1/1", output);
    }

    [Fact]
    public void DeviceAutoWithoutAGpuTrainsOnTheCpu()
    {
        if (GpuPresent)
        {
            return;
        }
        var (code, output, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--device", "auto", "--limit", "640", "--epochs", "1", "--batch-size", "64");
        Assert.True(code == 0, error);
        Assert.Contains("backend   openblas: ", output);
        Assert.Contains("epoch 1/1", output);
    }

    [Fact]
    public void PluginsListsTheCudnnBackendAndWhyItIsUnavailable()
    {
        Assert.Equal(0, CliRunner.Run("plugins").ExitCode);
        Assert.Contains(GpuPresent ? "available: device 0: compute capability" : "UNAVAILABLE: no GPU: ", CudnnLine.Value);
    }
}
