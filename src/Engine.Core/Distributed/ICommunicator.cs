namespace Engine.Core.Distributed;

/// <summary>
/// The collective operations data-parallel training needs from a group of processes ("ranks")
/// that each hold a copy of the model. Every rank must make the same calls in the same order.
/// <see cref="MpiCommunicator"/> is the one over MPI.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index in the group, 0 ≤ rank &lt; <see cref="Size"/>.</summary>
    int Rank { get; }

    /// <summary>How many ranks the group has.</summary>
    int Size { get; }

    /// <summary>Replaces each value by its sum over every rank (blocking).</summary>
    void Sum(Span<double> values);

    /// <summary>Replaces each value by its minimum over every rank (blocking).</summary>
    void Min(Span<long> values);

    /// <summary>Every rank's <paramref name="values"/> (all ranks give the same count), rank after rank.</summary>
    ulong[] Gather(ReadOnlySpan<ulong> values);

    /// <summary>
    /// Sends <paramref name="send"/> to rank <paramref name="partner"/> and receives as many values
    /// from it into <paramref name="receive"/> (blocking; the partner makes the matching call): the
    /// point-to-point step of a sum whose order this side chooses (<see cref="TrainingOptions.ReductionShards"/>).
    /// </summary>
    void Exchange(int partner, ReadOnlySpan<float> send, Span<float> receive);

    /// <summary>
    /// Starts sending <paramref name="send"/> to rank <paramref name="partner"/> and receiving as many
    /// values from it into <paramref name="receive"/> without waiting: the non-blocking form of
    /// <see cref="Exchange"/>, so that the shard tree's exchanges overlap backward. Both sides give
    /// the same <paramref name="tag"/> (0 … 32767), which tells apart exchanges with one partner that
    /// are in flight at once. Neither array may be touched until the returned exchange has completed.
    /// The default runs <see cref="Exchange"/> at once (blocking) and returns a completed exchange.
    /// </summary>
    IAsyncExchange StartExchange(int partner, ArraySegment<float> send, ArraySegment<float> receive, int tag)
    {
        Exchange(partner, send, receive);
        return CompletedExchange.Instance;
    }

    /// <summary>
    /// A reusable non-blocking sum of <paramref name="buffer"/> over every rank, in place: the
    /// buffer is pinned for the returned object's lifetime.
    /// </summary>
    IAsyncSum CreateSum(float[] buffer);

    /// <summary>Ends every rank of the group at once with <paramref name="exitCode"/>; does not return.</summary>
    void Abort(int exitCode);
}

/// <summary>A non-blocking in-place sum of one buffer over every rank, started once per step.</summary>
public interface IAsyncSum : IDisposable
{
    /// <summary>Starts the sum; the buffer must not be touched until <see cref="Wait"/> returns.</summary>
    void Start();

    /// <summary>Lets the library progress the sum; true once it has completed.</summary>
    bool Test();

    /// <summary>Waits until the sum has completed: the buffer then holds the total.</summary>
    void Wait();
}

/// <summary>An exchange with one partner in flight (<see cref="ICommunicator.StartExchange"/>).</summary>
public interface IAsyncExchange
{
    /// <summary>Lets the library progress the exchange; true once both the send and the receive have completed.</summary>
    bool Test();

    /// <summary>Waits until the exchange has completed: the receive buffer then holds the partner's values.</summary>
    void Wait();
}

// The exchange of a communicator that exchanges at once.
internal sealed class CompletedExchange : IAsyncExchange
{
    public static readonly CompletedExchange Instance = new();

    public bool Test() => true;

    public void Wait()
    {
    }
}
