using System.Diagnostics;
using System.Text.RegularExpressions;
using Engine.Core;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// Ranks that <c>engine train --distributed nccl --nproc N</c> starts itself, on the emulator: two of
/// them train LeNet-5 bit for bit as two ranks under mpirun do (the same NCCL gradient sums; their
/// host sums go over NCCL instead of MPI) and within 1e-3 of one process with the same global batch;
/// a rank that fails, or is killed, ends the run with one line from the launcher naming it and exit 1,
/// well within the timeout; SIGTERM sent to the launcher alone reaches the ranks and ends them all
/// (exit 143); the example of <c>--nproc</c>'s help runs.
/// </summary>
public sealed partial class DistributedNcclTests
{
    [Fact]
    public void TwoLaunchedRanksTrainWhatOneProcessTrains()
    {
        var (code, output, error) = RunEngine([.. Train("nproc.ckpt"), "--device", "gpu", "--distributed", "nccl", "--nproc", "2", "--metrics", Path.Combine(_folder, "nproc.csv")]);
        Assert.True(code == 0, error + output);
        Assert.Matches(@"(?m)^launched  2 rank\(s\) of this command, one process per GPU \(process ids \d+, \d+\)", output);
        Assert.Contains("ranks     2 (host emulation of NCCL (ranks meet in a shared-memory file), no MPI: ranks started by a launcher with a group id), 16 examples per rank per step", output, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(output, "^epoch ", RegexOptions.Multiline).Count); // rank 0's lines only
        Assert.DoesNotContain("error", error, StringComparison.Ordinal);
        (code, _, error) = RunEngine([.. Train("single.ckpt"), "--device", "gpu", "--metrics", Path.Combine(_folder, "single.csv")]);
        Assert.True(code == 0, error);
        Checkpoint launched = Checkpoint.Read(Path.Combine(_folder, "nproc.ckpt"));
        Checkpoint single = Checkpoint.Read(Path.Combine(_folder, "single.ckpt"));
        foreach (string entry in launched.State.Names.Where(n => n.StartsWith(ModelState.ParameterPrefix, StringComparison.Ordinal)))
        {
            double difference = DistributedTrainingTests.RelativeDifference((float[])launched.State[entry].Values, (float[])single.State[entry].Values);
            Assert.True(difference < 1e-3, $"{entry}: 2 launched ranks differ from one process by {difference:E2} (relative)");
        }
        // The accuracy and loss sums over the ranks (NCCL on the device) give one process's scores.
        Assert.Equal(Scores("single.csv").Select(s => s.Split(',')[2]), Scores("nproc.csv").Select(s => s.Split(',')[2]));
        if (MpiRun.Available)
        {
            (code, _, error) = MpiRun.RunWith(MpiRun.Launcher, 2, [.. Train("mpirun.ckpt"), "--device", "gpu", "--distributed", "nccl"], ("ENGINE_CUDNN_SHIM", EmulatorPath));
            Assert.True(code == 0, error);
            AssertSameParameters("mpirun.ckpt", "nproc.ckpt");
        }
    }

    [Fact]
    public void ARankThatFailsEndsTheRunWithOneLineNamingIt()
    {
        var started = Stopwatch.StartNew();
        var (code, output, error) = RunEngine([.. Train("fail.ckpt"), "--device", "gpu", "--distributed", "nccl", "--nproc", "2"],
            ("ENGINE_NPROC_RANK1_ENGINE_GRADIENT_OVERLAP", "sideways"));
        Assert.Equal(1, code);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(120), $"the run took {started.Elapsed} to end");
        Assert.DoesNotContain("epoch ", output, StringComparison.Ordinal);
        Assert.Contains("error: rank 1 of 2: ENGINE_GRADIENT_OVERLAP must be 'on' or 'off', got 'sideways'", error, StringComparison.Ordinal);
        Assert.EndsWith("error: rank 1 of 2 failed (exit code 1); the launcher ended the other ranks", error.TrimEnd(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "fail.ckpt")));
    }

    [Fact]
    public async Task ARankKilledMidRunEndsTheOthersAndTheLauncherNamesIt()
    {
        var (launcher, error, ranks) = StartTraining("killed.ckpt");
        using Process owned = launcher;
        Process.GetProcessById(ranks.Max()).Kill(); // the rank started last: rank 1
        Task<string> rest = launcher.StandardOutput.ReadToEndAsync();
        bool ended = launcher.WaitForExit(60_000);
        if (!ended)
        {
            launcher.Kill(entireProcessTree: true);
        }
        Assert.True(ended, "the launcher and rank 0 were still running a minute after rank 1 was killed");
        Assert.Equal(1, launcher.ExitCode);
        Assert.EndsWith("error: rank 1 of 2 failed (killed by signal 9); the launcher ended the other ranks", (await error).TrimEnd(), StringComparison.Ordinal);
        Assert.All(ranks, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"rank process {pid} is still there"));
        _ = await rest;
    }

    [Fact]
    public async Task ASignalToTheLauncherReachesEveryRank()
    {
        var (launcher, error, ranks) = StartTraining("signal.ckpt");
        using Process owned = launcher;
        using (var kill = Process.Start("kill", ["-TERM", launcher.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        Task<string> rest = launcher.StandardOutput.ReadToEndAsync();
        bool ended = launcher.WaitForExit(60_000);
        if (!ended)
        {
            launcher.Kill(entireProcessTree: true);
        }
        Assert.True(ended, "the launcher was still running a minute after SIGTERM");
        Assert.Equal(143, launcher.ExitCode);
        string errors = await error;
        // A rank's own "stopped:" line (rank 0's as it is, another's after "rank R: "), then the launcher's.
        Assert.True(Regex.Matches(errors, "stopped: SIGTERM received").Count >= 2, errors);
        Assert.EndsWith("stopped: SIGTERM received; passed on to the 2 rank(s), which have ended", errors.TrimEnd(), StringComparison.Ordinal);
        Assert.All(ranks, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"rank process {pid} is still there"));
        _ = await rest;
    }

    [Fact]
    public void TheHelpExampleOfNprocRuns()
    {
        var (code, help, _) = CliRunner.Run(["train", "--help"]);
        Assert.Equal(0, code);
        Match example = Regex.Match(help.ReplaceLineEndings(" "), @"Example: (engine train [^.]*?--nproc 2)");
        Assert.True(example.Success, help);
        string[] args = [.. example.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1),
            "--data", _folder, "--epochs", "1", "--batch-size", "32", "--no-progress"];
        var (exit, output, error) = RunEngine(args);
        Assert.True(exit == 0, $"'{string.Join(' ', args)}': {error}{output}");
        Assert.Contains("ranks     2 (", output, StringComparison.Ordinal);
    }

    [Fact]
    public void NprocNeedsNcclAndNoMpiLauncher()
    {
        var (code, _, error) = CliRunner.Run([.. Train("x.ckpt"), "--distributed", "mpi", "--nproc", "2"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --nproc starts one process per GPU for --distributed nccl: add --distributed nccl (--distributed mpi ranks are started by mpirun -np N)", error.Trim());
        (code, _, error) = CliRunner.Run([.. Train("x.ckpt"), "--device", "cpu", "--distributed", "nccl", "--nproc", "2"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --distributed nccl sums gradients on GPUs with NCCL, and backend 'openblas' has no device collectives: train on the cudnn backend (--device gpu), or use --distributed mpi on this one", error.Trim());
        (code, _, error) = CliRunner.Run([.. Train("x.ckpt"), "--distributed", "nccl", "--nproc", "0"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --nproc must be a positive integer, got 0", error.Trim());
    }

    // Two launched ranks training for 1000 epochs, once rank 0 has printed its first epoch (so a
    // checkpoint exists): the launcher, its error output as it comes, and the two ranks' process ids.
    private (Process Launcher, Task<string> Error, IReadOnlyList<int> Ranks) StartTraining(string checkpoint)
    {
        var start = new ProcessStartInfo(MpiRun.Engine) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (string arg in (string[])[.. Train(checkpoint).Select(a => a == "2" ? "1000" : a), "--device", "gpu", "--distributed", "nccl", "--nproc", "2"])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ENGINE_CUDNN_SHIM"] = EmulatorPath;
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        var launcher = Process.Start(start)!;
        Task<string> error = launcher.StandardError.ReadToEndAsync();
        string? line;
        while ((line = launcher.StandardOutput.ReadLine()) is not null && !line.StartsWith("epoch 1/", StringComparison.Ordinal))
        {
        }
        Assert.NotNull(line); // both ranks are training
        IReadOnlyList<int> ranks = MpiRun.Children(launcher.Id);
        Assert.Equal(2, ranks.Count);
        return (launcher, error, ranks);
    }

    private string[] Scores(string metrics) => DistributedTrainingTests.Scores(Path.Combine(_folder, metrics));
}
