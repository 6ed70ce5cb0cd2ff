namespace Engine.Core;

/// <summary>
/// A decorator that forwards every call to another backend and counts the calls that make the host
/// wait for the device: <see cref="IBackend.CopyToHost{T}"/> (host reads) and
/// <see cref="IBackend.Synchronize"/>. It is how a run proves that its steps stay on the device
/// (<c>engine bench train</c> prints host syncs per step). Tensors it allocates carry it as their
/// <see cref="Tensor.Backend"/>, so everything a network does with them is counted, while their
/// storage stays the inner backend's (<see cref="TensorStorage.Owner"/>), which computes on them
/// (see <see cref="BackendDecorator"/>). Counters are plain fields: use it from one thread, as backends are.
/// </summary>
/// <param name="inner">The backend whose calls are counted and run.</param>
/// <param name="ownsInner">Whether disposing this decorator disposes <paramref name="inner"/> too.</param>
public sealed class CountingBackend(IBackend inner, bool ownsInner = false) : BackendDecorator(inner, ownsInner)
{
    /// <summary><see cref="IBackend.CopyToHost{T}"/> calls so far.</summary>
    public long HostReads { get; private set; }

    /// <summary><see cref="IBackend.Synchronize"/> calls so far.</summary>
    public long Synchronizations { get; private set; }

    /// <summary>Host reads and synchronisations: every call that waits for the device.</summary>
    public long HostSyncs => HostReads + Synchronizations;

    /// <summary><see cref="IBackend.CopyFromHost{T}"/> calls so far (uploads do not wait, but are worth knowing).</summary>
    public long Uploads { get; private set; }

    /// <summary>Sets the counters to zero.</summary>
    public void ResetCounts() => (HostReads, Synchronizations, Uploads) = (0, 0, 0);

    /// <inheritdoc/>
    public override void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination)
    {
        Uploads++;
        base.CopyFromHost(source, destination);
    }

    /// <inheritdoc/>
    public override void CopyToHost<T>(Tensor source, Span<T> destination)
    {
        HostReads++;
        base.CopyToHost(source, destination);
    }

    /// <inheritdoc/>
    public override void Synchronize()
    {
        Synchronizations++;
        base.Synchronize();
    }
}
