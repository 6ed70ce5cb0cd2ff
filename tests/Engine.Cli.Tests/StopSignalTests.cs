using System.Diagnostics;
using Engine.Core;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// SIGTERM and Ctrl+C (SIGINT) during 'engine train', sent to the real executable: the run stops
/// between steps, says in one line which signal and what checkpoint is left, exits with 128 + the
/// signal number, and the checkpoint of the last completed epoch is whole (no .tmp left behind).
/// </summary>
public sealed class StopSignalTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-signals-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("TERM", 143, "SIGTERM")]
    [InlineData("INT", 130, "SIGINT (Ctrl+C)")]
    public async Task ASignalAfterAnEpochKeepsItsCheckpointAndExitsWith128PlusTheSignal(string signal, int exitCode, string name)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // POSIX signals; Windows has Ctrl+C only, covered by the same cancellation path
        }
        string checkpoint = Path.Combine(_folder, "run.ckpt");
        // Through coreutils' env, which resets SIGINT to its default and execs the engine (same process id): a test
        // run started as a background job of a non-interactive shell inherits SIGINT ignored, as POSIX has background
        // jobs ignore Ctrl+C, and the engine rightly keeps an ignored signal ignored.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "artifacts", "engine", "engine"));
        foreach (string arg in new[] { "train", "--data", RepoPaths.Mnist, "--limit", "2000", "--epochs", "500", "--no-progress", "--checkpoint", checkpoint })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("epoch 1/", StringComparison.Ordinal))
        {
        }
        Assert.NotNull(line);
        using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        string rest = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "the run did not stop within a minute of the signal");
        string error = (await errors).TrimEnd();

        Assert.Equal(exitCode, process.ExitCode);
        Assert.Single(error.Split('\n'));
        int epochs = rest.Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)) + 1;
        Assert.Equal($"stopped: {name} received; training stopped between steps; the last good checkpoint, {checkpoint}, holds epoch {epochs} (--resume it to go on)", error);
        Checkpoint saved = Checkpoint.Read(checkpoint);
        Assert.Equal(epochs, saved.Metadata["trainer"]!["completed_epochs"]!.GetValue<int>());
        Assert.Equal([checkpoint], Directory.GetFiles(_folder));
    }
}
