using System.Diagnostics;
using System.Globalization;

namespace Engine.Core.Distributed;

/// <summary>
/// Waiting for a collective with a deadline. MPI_Wait would wait forever for a rank that is stopped
/// or stuck without dying (MPI notices only ranks that exit), so a rank polls MPI_Test instead:
/// spinning at first (a sum that completes within microseconds keeps its latency), then yielding,
/// then sleeping a millisecond between polls (a rank kept waiting does not take a core from the
/// others, which matters when ranks share cores). Past <see cref="Timeout"/> the rank reports
/// which collective it waited in and ends the job with MPI_Abort.
/// </summary>
public sealed unsafe partial class MpiCommunicator
{
    /// <summary>The default <see cref="Timeout"/>: ten minutes, PyTorch's for NCCL.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    private static readonly long s_spinTicks = Stopwatch.Frequency / 20_000; // 50 µs
    private static readonly long s_yieldTicks = Stopwatch.Frequency / 100; // 10 ms

    /// <summary>
    /// How long a rank waits in one collective for the others (default <see cref="DefaultTimeout"/>)
    /// before it writes "error: rank R of N: no reply from the other ranks …" to standard error and
    /// ends the whole job with MPI_Abort (exit code 1). It must exceed the longest legitimate wait:
    /// the ranks' difference in start-up (loading the data) and rank 0's own work between steps
    /// (writing checkpoints and metrics).
    /// </summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    // Polls the request until it completes (it is then freed and set to MPI_REQUEST_NULL by MPI).
    private void Await(nint* request, string what)
    {
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            Check(_mpi.Test(request, out int done), "MPI_Test");
            if (done != 0)
            {
                return;
            }
            long now = Stopwatch.GetTimestamp();
            if (now > deadline)
            {
                NoReply(what);
            }
            long waited = now - start;
            if (waited < s_spinTicks)
            {
                Thread.SpinWait(20);
            }
            else if (waited < s_yieldTicks)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }

    private void NoReply(string what)
    {
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"error: rank {Rank} of {Size}: no reply from the other ranks for {Timeout.TotalSeconds:0.###} s while {what} (a rank is stopped, stuck or far slower than this one; --distributed-timeout sets the limit)"));
        Abort(1);
    }
}
