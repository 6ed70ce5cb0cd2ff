using System.Diagnostics;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// A parameter within one tensor's 2^31 values but larger than the machine's memory is refused before
/// it is allocated, saying how much was asked and how much there is. The real executable runs under a
/// 1 GiB memory limit (DOTNET_GCHeapHardLimit, which the runtime reports as the machine's memory, as it
/// does a container's limit), so the test needs no machine smaller than the parameter.
/// </summary>
public sealed class HostMemoryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-memory-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task AParameterLargerThanTheMachinesMemoryIsRefusedBeforeItIsAllocated()
    {
        // dense1.weight: 400,000 × 784 = 313,600,000 values (well under 2^31), 1.25 GB in float32.
        string model = Path.Combine(_folder, "wide.json");
        File.WriteAllText(model, """{"name": "wide", "layers": [{"type": "flatten"}, {"type": "dense", "units": 400000}, {"type": "dense", "units": 10}]}""");
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "artifacts", "engine", "engine"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _folder,
            Environment = { ["DOTNET_GCHeapHardLimit"] = "0x40000000" },
        };
        foreach (string arg in new[] { "train", "--data", RepoPaths.Mnist, "--limit", "100", "--epochs", "1", "--no-progress", "--model", model })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string error = (await process.StandardError.ReadToEndAsync()).TrimEnd();
        Assert.True(process.WaitForExit(120_000), "the run did not end within two minutes");
        _ = await output;

        Assert.Equal(1, process.ExitCode);
        Assert.Equal("error: model 'wide' layer #2 'dense1' (dense) with {\"units\":400000}: a parameter too large for this machine's memory: [400000, 784] of Float32 needs 1.25 GB; this machine has 1.07 GB of memory", error);
    }
}
