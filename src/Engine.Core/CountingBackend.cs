namespace Engine.Core;

/// <summary>
/// A decorator that forwards every call to another backend and counts the calls that make the host
/// wait for the device: <see cref="IBackend.CopyToHost{T}"/> (host reads) and
/// <see cref="IBackend.Synchronize"/>. It is how a run proves that its steps stay on the device
/// (<c>engine bench train</c> prints host syncs per step). Tensors it allocates carry it as their
/// <see cref="Tensor.Backend"/>, so everything a network does with them is counted, while their
/// storage stays the inner backend's (<see cref="TensorStorage.Owner"/>), which computes on them
/// (see <see cref="BackendDecorator"/>). When the inner backend lends its threads
/// (<see cref="IParallelWorkers"/>), so does this decorator, so that a network behind it still splits
/// its batches as it would on the inner backend (<c>engine bench train</c> measured LeNet-5 unsplit
/// before); the counters are atomic because those pieces call backend ops from several threads.
/// </summary>
/// <param name="inner">The backend whose calls are counted and run.</param>
/// <param name="ownsInner">Whether disposing this decorator disposes <paramref name="inner"/> too.</param>
public sealed class CountingBackend(IBackend inner, bool ownsInner = false) : BackendDecorator(inner, ownsInner), IParallelWorkers
{
    private long _hostReads, _synchronizations, _uploads;

    /// <summary><see cref="IBackend.CopyToHost{T}"/> calls so far.</summary>
    public long HostReads => Interlocked.Read(ref _hostReads);

    /// <summary><see cref="IBackend.Synchronize"/> calls so far.</summary>
    public long Synchronizations => Interlocked.Read(ref _synchronizations);

    /// <summary>Host reads and synchronisations: every call that waits for the device.</summary>
    public long HostSyncs => HostReads + Synchronizations;

    /// <summary><see cref="IBackend.CopyFromHost{T}"/> calls so far (uploads do not wait, but are worth knowing).</summary>
    public long Uploads => Interlocked.Read(ref _uploads);

    /// <summary>Sets the counters to zero.</summary>
    public void ResetCounts()
    {
        Interlocked.Exchange(ref _hostReads, 0);
        Interlocked.Exchange(ref _synchronizations, 0);
        Interlocked.Exchange(ref _uploads, 0);
    }

    /// <summary>The inner backend's thread count when it lends its threads, else 1 (a network behind this decorator then never splits).</summary>
    public int WorkerCount => Inner is IParallelWorkers workers ? workers.WorkerCount : 1;

    /// <summary>Runs the pieces on the inner backend's threads when it lends them, else one after another on the calling thread.</summary>
    /// <param name="count">How many pieces.</param>
    /// <param name="body">Called once per piece index.</param>
    public void RunParallel(int count, Action<int> body)
    {
        if (Inner is IParallelWorkers workers)
        {
            workers.RunParallel(count, body);
            return;
        }
        ArgumentNullException.ThrowIfNull(body);
        for (int i = 0; i < count; i++)
        {
            body(i);
        }
    }

    /// <inheritdoc/>
    public override void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination)
    {
        Interlocked.Increment(ref _uploads);
        base.CopyFromHost(source, destination);
    }

    /// <inheritdoc/>
    public override void CopyToHost<T>(Tensor source, Span<T> destination)
    {
        Interlocked.Increment(ref _hostReads);
        base.CopyToHost(source, destination);
    }

    /// <inheritdoc/>
    public override void Synchronize()
    {
        Interlocked.Increment(ref _synchronizations);
        base.Synchronize();
    }
}
