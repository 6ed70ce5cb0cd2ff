using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Core;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>--sync-bn</c> and <c>--distributed-timeout</c> under <c>mpirun</c>: two ranks training a small
/// batch-norm network end close to one process with the statistics synchronised and further from it
/// without; a rank stopped with SIGSTOP (alive, silent) ends the job through the other's timeout
/// with one error line instead of a hang; both options are refused without <c>--distributed</c>.
/// </summary>
public sealed partial class DistributedSyncAndTimeoutTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-mpi-sync-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [MpiRun.Fact]
    public void SynchronisedBatchNormTrainsWhatOneProcessTrains()
    {
        var (code, _, error) = CliRunner.Run(Train("single.ckpt"));
        Assert.True(code == 0, error);
        (code, string output, error) = MpiRun.Run(2, [.. Train("sync.ckpt"), "--distributed", "mpi", "--sync-bn"]);
        Assert.True(code == 0, error);
        Assert.Contains("batch-norm statistics summed over the ranks", output, StringComparison.Ordinal);
        (code, _, error) = MpiRun.Run(2, [.. Train("local.ckpt"), "--distributed", "mpi"]);
        Assert.True(code == 0, error);

        double sync = WorstDifference("sync.ckpt", "single.ckpt");
        double local = WorstDifference("local.ckpt", "single.ckpt");
        // Measured: 2.2e-7 with --sync-bn, 1.7e-2 without.
        Assert.True(sync < 1e-5, $"with --sync-bn the weights and running statistics differ from one process's by {sync:E2}");
        Assert.True(local > 1e-2, $"without --sync-bn they came within {local:E2} of one process's");
    }

    [MpiRun.Fact]
    public void ARankThatStopsAnsweringEndsTheJobAfterTheTimeout()
    {
        using var process = System.Diagnostics.Process.Start(MpiRun.StartInfo([(2, [.. Train("a.ckpt", epochs: 1000), "--distributed", "mpi", "--distributed-timeout", "3"])]))!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("epoch 1/", StringComparison.Ordinal))
        {
        }
        Assert.NotNull(line); // both ranks are training
        IReadOnlyList<int> ranks = MpiRun.Children(process.Id);
        Assert.Equal(2, ranks.Count);
        var stopped = System.Diagnostics.Process.GetProcessById(ranks[^1]);
        Signal(stopped.Id, "STOP");
        var since = System.Diagnostics.Stopwatch.StartNew();
        Task<string> rest = process.StandardOutput.ReadToEndAsync();
        bool ended = process.WaitForExit(60_000);
        if (!ended)
        {
            process.Kill(entireProcessTree: true);
        }
        if (!stopped.HasExited)
        {
            stopped.Kill(); // SIGKILL ends a stopped process too
        }
        Assert.True(ended, "the other rank was still waiting a minute after one was stopped");
        Assert.Equal(1, process.ExitCode);
        Assert.Matches(NoReply(), error.Result);
        Assert.True(since.Elapsed > TimeSpan.FromSeconds(2.5), $"the job ended {since.Elapsed} after the stop, before the 3 s timeout");
        _ = rest.Result;
    }

    [Theory]
    [InlineData("--sync-bn")]
    [InlineData("--distributed-timeout", "60")]
    public void TheOptionsNeedADistributedRun(params string[] option)
    {
        var (code, _, error) = CliRunner.Run([.. Train("a.ckpt"), .. option]);
        Assert.Equal(1, code);
        Assert.Equal($"error: {option[0]} applies to distributed training only: add --distributed mpi (and start the ranks with mpirun)", error.Trim());
    }

    [Fact]
    public void ANonPositiveTimeoutIsRefused()
    {
        var (code, _, error) = CliRunner.Run([.. Train("a.ckpt"), "--distributed", "mpi", "--distributed-timeout", "0"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --distributed-timeout must be a positive number, got 0", error.Trim());
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    // The largest relative L2 difference over the parameters and layer state (running statistics) of two checkpoints.
    private double WorstDifference(string name, string reference)
    {
        Checkpoint a = Checkpoint.Read(Path.Combine(_folder, name));
        Checkpoint b = Checkpoint.Read(Path.Combine(_folder, reference));
        return b.State.Names.Where(n => n.StartsWith(ModelState.ParameterPrefix, StringComparison.Ordinal) || n.StartsWith(ModelState.LayerPrefix, StringComparison.Ordinal)).Max(n =>
        {
            float[] x = (float[])a.State[n].Values, y = (float[])b.State[n].Values;
            return Math.Sqrt(x.Zip(y).Sum(p => Math.Pow(p.First - p.Second, 2)) / y.Sum(v => (double)v * v));
        });
    }

    // conv(8, 5×5, stride 2) → batch norm → relu → dense(10): batch statistics of 144 values per channel
    // and example. Trained with SGD: the convolution's bias has a zero gradient in exact arithmetic
    // (batch norm removes it), and Adam would blow its rounding noise up to steps of the learning rate.
    private string Model()
    {
        string path = Path.Combine(_folder, "bn.json");
        File.WriteAllText(path, """
            {"name": "bn-net", "layers": [{"type": "conv2d", "filters": 8, "kernel": 5, "stride": 2}, {"type": "batch_norm"},
              {"type": "relu"}, {"type": "flatten"}, {"type": "dense", "units": 10}]}
            """);
        return path;
    }

    private string[] Train(string checkpoint, int epochs = 1) =>
    [
        "train", "--model", Model(), "--dataset", "mnist", "--data", RepoPaths.Mnist, "--limit", "600",
        "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--batch-size", "32", "--optimizer", "sgd", "--lr", "0.05",
        "--seed", "3", "--no-progress", "--checkpoint", Path.Combine(_folder, checkpoint),
    ];

    [GeneratedRegex(@"(?m)^error: rank [01] of 2: no reply from the other ranks for 3 s while [a-z' -]+ \(a rank is stopped, stuck or far slower than this one; --distributed-timeout sets the limit\)$")]
    private static partial Regex NoReply();
}
