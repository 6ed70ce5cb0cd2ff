using Engine.Core.Distributed;

namespace Engine.Cli;

/// <summary>
/// How a rank of a distributed run fails without leaving the others waiting in a collective
/// forever. A refusal every rank reached together (<see cref="DistributedMismatchException"/>) is
/// reported once, by rank 0, and every rank finalises MPI and exits 1. Any other failure is
/// reported by its rank ("error: rank R of N: …") and ends the whole job with MPI_Abort, which
/// makes mpirun stop the other ranks at once.
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
        catch (DistributedMismatchException) when (group.Rank > 0)
        {
            return 1; // rank 0 reports it
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
