using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Cli;

/// <summary>
/// <c>engine train --distributed nccl --nproc N</c> without mpirun: this process makes the NCCL group
/// id, starts N copies of the same command, one per GPU (<see cref="LaunchedRank"/>: rank, size,
/// local rank and group id in the environment), shows rank 0's output and every rank's errors (the
/// other ranks' lines name their rank), and waits. When a rank fails, the others are given a few
/// seconds to end by themselves (a refusal every rank reached together ends them all at once), then
/// killed: they could wait in a collective for the failed one forever. A signal (Ctrl+C, SIGTERM) is
/// passed on to every rank, each of which stops between steps; once one has stopped, the others get
/// the same few seconds (one may wait for a step the stopped rank will not take), and ranks still
/// running <c>--distributed-timeout</c> after the signal, or after another rank succeeded, are killed. The
/// exit code is 0 when every rank succeeded, 1 with one line naming the first rank that failed, or
/// 128 + the signal's number.
/// </summary>
internal static partial class RankLauncher
{
    /// <summary>ENGINE_NPROC_RANK&lt;r&gt;_&lt;NAME&gt;=value in the launcher's environment sets NAME=value for rank r only.</summary>
    public const string RankVariablePrefix = "ENGINE_NPROC_RANK";

    // How long the other ranks may take to end by themselves once one has failed.
    private static readonly TimeSpan FailureGrace = TimeSpan.FromSeconds(5);

    public static int Run(TrainSettings settings, ParseResult result, TextWriter output, TextWriter error, StopSignals signals)
    {
        int size = settings.Processes!.Value;
        byte[] groupId = MakeGroupId(settings, result);
        string[] arguments = [.. result.Tokens.Select(t => t.Value)];
        var gate = new Lock();
        var ranks = new List<LaunchedProcess>(size);
        try
        {
            for (int rank = 0; rank < size; rank++)
            {
                ranks.Add(LaunchedProcess.Start(rank, size, groupId, arguments, output, error, gate));
            }
            lock (gate)
            {
                output.WriteLine($"launched  {size} rank(s) of this command, one process per GPU (process ids {string.Join(", ", ranks.Select(r => r.Process.Id))}); rank 0's output follows");
            }
            return Supervise(ranks, settings.DistributedTimeout, signals, error, gate);
        }
        finally
        {
            foreach (LaunchedProcess rank in ranks)
            {
                rank.Dispose(); // kills a rank still running (this process failed while starting them)
            }
        }
    }

    // The group id comes from the backend's provider, without opening a device here.
    private static byte[] MakeGroupId(TrainSettings settings, ParseResult result)
    {
        var hostOptions = new Engine.Host.EngineHostOptions();
        hostOptions.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using Engine.Host.EngineHost host = CliHost.Create(hostOptions);
        // "gpu" and "auto" would probe (open) a device to choose among the GPU backends: take the one with collectives.
        IBackendProvider provider = settings.Device.ToUpperInvariant() is "GPU" or "AUTO"
            ? host.Catalog.Backends.FirstOrDefault(b => b.Device == DeviceKind.Gpu && b is IDeviceCollectivesProvider) ?? host.Catalog.Backend(settings.Device)
            : host.Catalog.Backend(settings.Device);
        return provider is IDeviceCollectivesProvider collectives
            ? collectives.CreateGroupId()
            : throw new ConfigurationException($"--distributed nccl sums gradients on GPUs with NCCL, and backend '{provider.Name}' has no device collectives: train on the cudnn backend (--device gpu), or use --distributed mpi on this one");
    }

    private static int Supervise(List<LaunchedProcess> ranks, TimeSpan timeout, StopSignals signals, TextWriter error, Lock gate)
    {
        Task signalled = Task.Delay(Timeout.Infinite, signals.Token);
        LaunchedProcess? failed = null;
        bool forwarded = false;
        DateTime? deadline = null; // ranks still running then are killed
        while (ranks.Any(r => !r.Process.HasExited))
        {
            Task[] waits = [.. ranks.Where(r => !r.Process.HasExited).Select(r => r.Exited), signalled];
            TimeSpan wait = deadline is DateTime due ? Max(due - DateTime.UtcNow, TimeSpan.Zero) : Timeout.InfiniteTimeSpan;
            Task.WaitAny(waits, wait);
            if (signals.Received is PosixSignal signal && !forwarded)
            {
                forwarded = true;
                foreach (LaunchedProcess rank in ranks)
                {
                    rank.Signal(signal);
                }
                deadline = Min(deadline, DateTime.UtcNow + timeout);
                signalled = Task.Delay(Timeout.Infinite); // passed on once
            }
            if (failed is null && ranks.FirstOrDefault(r => r.Process.HasExited && r.Process.ExitCode != 0) is { } first)
            {
                failed = first;
            }
            if (ranks.Any(r => r.Process.HasExited))
            {
                // After a failure or a signal the others may wait in a collective for the rank that
                // ended: a few seconds to end by themselves. After a success they are finishing too.
                TimeSpan allowance = failed is not null || forwarded ? (timeout < FailureGrace ? timeout : FailureGrace) : timeout;
                deadline = Min(deadline, DateTime.UtcNow + allowance);
            }
            if (deadline is DateTime passed && DateTime.UtcNow >= passed)
            {
                foreach (LaunchedProcess rank in ranks)
                {
                    rank.Kill();
                }
                deadline = null;
            }
        }
        foreach (LaunchedProcess rank in ranks)
        {
            rank.Drain();
        }
        lock (gate)
        {
            if (signals.Received is not null)
            {
                error.WriteLine($"stopped: {signals.Name} received; passed on to the {ranks.Count} rank(s), which have ended");
                return signals.ExitCode;
            }
            failed ??= ranks.FirstOrDefault(r => r.Process.ExitCode != 0);
            if (failed is not null)
            {
                error.WriteLine($"error: rank {failed.Rank} of {ranks.Count} failed ({Describe(failed)}); the launcher ended the other ranks");
                return 1;
            }
            return 0;
        }
    }

    private static DateTime Min(DateTime? a, DateTime b) => a is DateTime x && x < b ? x : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Describe(LaunchedProcess rank) => rank.Process.ExitCode switch
    {
        > 128 and < 160 when rank.Killed => "did not end within the timeout",
        > 128 and < 160 => string.Create(CultureInfo.InvariantCulture, $"killed by signal {rank.Process.ExitCode - 128}"),
        int code => string.Create(CultureInfo.InvariantCulture, $"exit code {code}"),
    };

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);

    /// <summary>One rank's process: its output forwarded, its standard input the pipe it watches.</summary>
    private sealed class LaunchedProcess : IDisposable
    {
        private readonly Task _output;
        private readonly Task _error;

        private LaunchedProcess(int rank, Process process, Task output, Task error)
        {
            Rank = rank;
            Process = process;
            _output = output;
            _error = error;
            Exited = process.WaitForExitAsync();
        }

        public int Rank { get; }

        public Process Process { get; }

        public Task Exited { get; }

        /// <summary>Whether the launcher killed it.</summary>
        public bool Killed { get; private set; }

        public static LaunchedProcess Start(int rank, int size, byte[] groupId, string[] arguments, TextWriter output, TextWriter error, Lock gate)
        {
            string program = Environment.ProcessPath ?? throw new InvalidOperationException("the engine's own executable is unknown: it cannot start the ranks");
            var start = new ProcessStartInfo(program)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (Path.GetFileNameWithoutExtension(program) == "dotnet")
            {
                start.ArgumentList.Add(typeof(RankLauncher).Assembly.Location); // 'dotnet engine.dll …'
            }
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            foreach ((string name, string value) in LaunchedRank.VariablesFor(rank, size, groupId))
            {
                start.Environment[name] = value;
            }
            // ENGINE_NPROC_RANK<r>_<NAME>=value sets NAME for rank r alone (a per-GPU setting, or a fault to test).
            string only = string.Create(CultureInfo.InvariantCulture, $"{RankVariablePrefix}{rank}_");
            foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                if (entry.Key is string name && name.StartsWith(only, StringComparison.Ordinal) && name.Length > only.Length)
                {
                    start.Environment[name[only.Length..]] = entry.Value as string;
                }
            }
            var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start rank {rank} ({program})");
            Task forwardOutput = Forward(process.StandardOutput, rank == 0 ? line => line : null, output, gate);
            Task forwardError = Forward(process.StandardError, line => Prefix(line, rank, size), error, gate);
            return new LaunchedProcess(rank, process, forwardOutput, forwardError);
        }

        public void Signal(PosixSignal signal)
        {
            if (Process.HasExited)
            {
                return;
            }
            if (OperatingSystem.IsWindows())
            {
                Kill();
                return;
            }
            int number = signal switch
            {
                PosixSignal.SIGTERM => 15,
                PosixSignal.SIGHUP => 1,
                _ => 2,
            };
            _ = SendSignal(Process.Id, number);
        }

        public void Kill()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Killed = true;
                    Process.Kill();
                }
            }
            catch (InvalidOperationException)
            {
                // It ended meanwhile.
            }
        }

        /// <summary>Waits until its output has been forwarded to the end.</summary>
        public void Drain()
        {
            Process.WaitForExit();
            Task.WaitAll(_output, _error);
        }

        public void Dispose()
        {
            Kill();
            Process.Dispose();
        }

        // Rank 0's lines as they are; another rank's lines name it (its error lines may already do).
        private static string Prefix(string line, int rank, int size)
        {
            if (rank == 0 || line.StartsWith("error: rank ", StringComparison.Ordinal))
            {
                return line;
            }
            return line.StartsWith("error: ", StringComparison.Ordinal)
                ? string.Create(CultureInfo.InvariantCulture, $"error: rank {rank} of {size}: {line["error: ".Length..]}")
                : string.Create(CultureInfo.InvariantCulture, $"rank {rank}: {line}");
        }

        // Every line of the stream, rewritten by transform (null: read and dropped), under the lock.
        private static Task Forward(StreamReader reader, Func<string, string>? transform, TextWriter writer, Lock gate) => Task.Run(async () =>
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is string line)
            {
                if (transform is null)
                {
                    continue;
                }
                lock (gate)
                {
                    writer.WriteLine(transform(line));
                    writer.Flush();
                }
            }
        });
    }
}
