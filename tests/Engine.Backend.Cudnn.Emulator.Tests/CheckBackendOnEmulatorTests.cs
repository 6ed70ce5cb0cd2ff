using Engine.Cli;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>README's example: <c>ENGINE_CUDNN_SHIM=… engine check-backend cudnn --filter gemm --plugins artifacts/plugins</c>.</summary>
public sealed class CheckBackendOnEmulatorTests
{
    [Fact]
    public void CheckBackendRunsTheCudnnBackendOnTheEmulator()
    {
        _ = Emulator.EngineHost; // sets ENGINE_CUDNN_SHIM before the plugin loads its shim
        var output = new StringWriter();
        var error = new StringWriter();
        int code = EngineCli.Run(["check-backend", "cudnn", "--filter", "gemm", "--plugins", RepoPaths.StagedPlugins], output, error);
        Assert.Equal("", error.ToString());
        Assert.Equal(0, code);
        string[] lines = output.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.StartsWith("backend:   cudnn (host emulation of the cuDNN shim", lines[0], StringComparison.Ordinal);
        Assert.Contains("pass  gemm float64 [64, 17] k 3 Aᵀ Bᵀ", lines);
        Assert.Equal("24 passed, 0 failed", lines[^1]);
    }
}
