namespace Engine.Backend.OpenBlas;

/// <summary>
/// How memory-bound passes (activations, 2×2 pooling) are cut for the backend's
/// <see cref="WorkerPool"/>. They are memory-bound, but in a small CNN they run on the biggest
/// tensors (a LeNet step spends about a tenth of its time here), and between two parallel
/// convolutions a single-threaded pass would leave the second core idle.
/// </summary>
internal static class ParallelSplit
{
    /// <summary>Below this many elements an element-wise pass stays on the calling thread.</summary>
    public const int Elements = 1 << 15;

    /// <summary>Element ranges are cut at multiples of this (a cache line of doubles, two of floats).</summary>
    public const int Alignment = 16;

    /// <summary>How many pieces a pass over <paramref name="elements"/> elements is cut into (1: run it inline).</summary>
    public static int Parts(long elements) =>
        elements < Elements ? 1 : (int)Math.Min(WorkerPool.Width, elements / (Elements / 2));

    /// <summary>
    /// The range [first, end) of part <paramref name="part"/> of <paramref name="parts"/> over
    /// <paramref name="total"/> units, cut at multiples of <paramref name="unit"/>.
    /// </summary>
    public static (int First, int End) Range(int part, int parts, int total, int unit)
    {
        long chunks = (total + (long)unit - 1) / unit;
        int first = (int)Math.Min(total, chunks * part / parts * unit);
        int end = (int)Math.Min(total, chunks * (part + 1) / parts * unit);
        return (first, end);
    }
}
