namespace Engine.Core.Distributed;

/// <summary>
/// Data-parallel training (set on <see cref="TrainingOptions.Distributed"/>): every rank of
/// <see cref="Communicator"/> holds the same model and runs the same <see cref="Trainer"/>;
/// <see cref="TrainingOptions.BatchSize"/> stays the global batch, split evenly across the ranks, each
/// rank reading its own slice of every global batch in the order one process would use; gradients
/// are summed over the ranks (weighted so that the result is the single process's mean-loss
/// gradient) before regularisation, clipping and the optimiser step, so every rank takes the same
/// step. Only rank 0 writes checkpoints. The caller owns and disposes the communicator.
/// </summary>
/// <param name="Communicator">The group of ranks, e.g. <see cref="MpiCommunicator.Initialize"/>.</param>
public sealed record DistributedOptions(ICommunicator Communicator)
{
    /// <summary>
    /// Gradient elements per bucket (default 1 Mi, 4 MiB of float32). A bucket's sum starts as soon
    /// as backward has passed the layers whose gradients it holds, overlapping the rest of backward
    /// (with <see cref="TrainingOptions.ReductionShards"/>: the bucket's exchanges of the shard tree,
    /// during the rank's last shard).
    /// </summary>
    public int BucketElements { get; init; } = 1 << 20;

    /// <summary>Whether buckets start during backward (true) or all after it (false: no overlap, for comparison); both reduction paths.</summary>
    public bool Overlap { get; init; } = true;

    /// <summary>
    /// Whether batch-statistics layers (<see cref="IBatchStatisticsLayer"/>, batch normalisation)
    /// train with the mean and variance of the global batch, summed over the ranks in forward and
    /// their gradient sums in backward, as one process on the whole batch would (PyTorch's
    /// SyncBatchNorm); false (the default) keeps each rank's statistics to its own share, as PyTorch's
    /// DistributedDataParallel does. Costs two small blocking sums per such layer and step.
    /// </summary>
    public bool SyncBatchNorm { get; init; }

    /// <summary>Whether this process writes files and reports progress (rank 0).</summary>
    public bool IsRoot => Communicator.Rank == 0;
}
