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

    /// <summary>
    /// The split-invariant variant (<see cref="TrainingOptions.ReductionShards"/>): each global batch is
    /// cut into <paramref name="shards"/> fixed slices (<see cref="Slice"/> over the shard index) and
    /// rank r of <paramref name="size"/> reads shards r·K/R … (r+1)·K/R − 1, which are consecutive.
    /// Writes this rank's examples into <paramref name="local"/> and the start of every non-empty
    /// shard, then the end of the last, into <paramref name="bounds"/>; returns how many bounds.
    /// </summary>
    public static int LocalShards(ReadOnlySpan<int> order, int globalBatch, int shards, int rank, int size, Span<int> local, Span<int> bounds)
    {
        int perRank = shards / size, written = 0, starts = 0;
        for (int first = 0; first < order.Length; first += globalBatch)
        {
            int batch = Math.Min(globalBatch, order.Length - first);
            for (int shard = rank * perRank; shard < (rank + 1) * perRank; shard++)
            {
                (int start, int count) = Slice(batch, shard, shards);
                if (count == 0)
                {
                    continue;
                }
                bounds[starts++] = written;
                order.Slice(first + start, count).CopyTo(local[written..]);
                written += count;
            }
        }
        bounds[starts] = written;
        return starts + 1;
    }
}
