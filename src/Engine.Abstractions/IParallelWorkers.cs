namespace Engine;

/// <summary>
/// Implemented by a CPU backend that splits its ops' work over a pool of threads (the OpenBLAS
/// backend): lets a caller run independent pieces of its own work on that pool instead, one piece
/// per thread, with the backend ops each piece calls running on its thread alone. For networks
/// whose layers are too small to split profitably, running whole sub-batches side by side costs one
/// synchronisation per pass instead of one per op. Optional: callers use it when the backend has it.
/// </summary>
public interface IParallelWorkers
{
    /// <summary>Threads the backend computes on, the calling thread included (at least 1).</summary>
    int WorkerCount { get; }

    /// <summary>
    /// Calls <paramref name="body"/>(i) for every i in [0, <paramref name="count"/>) on up to
    /// <see cref="WorkerCount"/> threads and returns when all are done; which thread runs which i
    /// is not fixed. Backend ops called inside a body run single-threaded on the body's thread.
    /// Bodies must not write the same tensor. An exception from a body is rethrown here, after
    /// every body has ended.
    /// </summary>
    void RunParallel(int count, Action<int> body);
}
