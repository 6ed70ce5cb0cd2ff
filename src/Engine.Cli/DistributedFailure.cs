using Engine.Core.Distributed;

namespace Engine.Cli;

/// <summary>
/// How a rank of a distributed run fails without leaving the others waiting in a collective
/// forever. A refusal every rank reached together (<see cref="DistributedMismatchException"/>) is
/// reported once, by rank 0, and every rank waits for that report, finalises MPI and exits 1. Any other failure is
/// reported by its rank ("error: rank R of N: …") and ends the whole job with MPI_Abort, which
/// makes mpirun stop the other ranks at once; a rank that <c>--nproc</c> started ends its own process,
/// and the launcher then ends the others (<see cref="RankLauncher"/>).
/// </summary>
internal static class DistributedFailure
{
    public static int Contain(ICommunicator? group, TextWriter error, Func<int> body)
    {
        if (group is null)
        {
            return body();
        }
        try
        {
            return body();
        }
        catch (DistributedMismatchException mismatch)
        {
            // Every rank reached this verdict together; rank 0 reports it. The others wait until it
            // has: a rank that exits first makes mpirun kill rank 0 before its line is written.
            int code = 1;
            if (group.Rank == 0)
            {
                code = EngineCli.Guard(error, () =>
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(mismatch).Throw();
                    return 1;
                });
                error.Flush();
            }
            group.Sum(new double[1]); // a barrier: it returns on every rank once rank 0 is here
            return code;
        }
        catch (Exception e) when (e is not DistributedMismatchException and not OperationCanceledException)
        {
            var message = new StringWriter();
            int code = EngineCli.Guard(message, () =>
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
                return 1;
            });
            foreach (string line in message.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                error.WriteLine(line.StartsWith("error: ", StringComparison.Ordinal) ? $"error: rank {group.Rank} of {group.Size}: {line["error: ".Length..]}" : line);
            }
            error.Flush();
            group.Abort(code == 0 ? 1 : code);
            return code;
        }
    }
}
