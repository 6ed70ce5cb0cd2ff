namespace Engine.Core.Distributed;

/// <summary>
/// Which examples of each global batch a rank reads: global batch j (examples
/// j·B … j·B + b_j − 1 of the epoch's order, b_j = B except perhaps for the last) is cut into
/// <c>size</c> consecutive slices whose lengths differ by at most one, the first ones longer, and
/// rank r reads slice r. Concatenated, the ranks' slices are the one-process order.
/// </summary>
public static class BatchShard
{
    /// <summary>Start and length of <paramref name="rank"/>'s slice of a global batch of <paramref name="batch"/> examples.</summary>
    public static (int Start, int Count) Slice(int batch, int rank, int size)
    {
        int quotient = batch / size, remainder = batch % size;
        int count = quotient + (rank < remainder ? 1 : 0);
        int start = (rank * quotient) + Math.Min(rank, remainder);
        return (start, count);
    }

    /// <summary>
    /// Writes this rank's part of <paramref name="order"/> (global batches of
    /// <paramref name="globalBatch"/>) into <paramref name="local"/>; returns how many were written.
    /// </summary>
    public static int Local(ReadOnlySpan<int> order, int globalBatch, int rank, int size, Span<int> local)
    {
        int written = 0;
        for (int first = 0; first < order.Length; first += globalBatch)
        {
            int batch = Math.Min(globalBatch, order.Length - first);
            (int start, int count) = Slice(batch, rank, size);
            order.Slice(first + start, count).CopyTo(local[written..]);
            written += count;
        }
        return written;
    }
}
