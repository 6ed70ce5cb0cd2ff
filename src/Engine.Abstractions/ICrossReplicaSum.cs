namespace Engine;

/// <summary>
/// Sums small vectors over the replicas of a data-parallel training run, for layers whose training
/// statistics should cover the global batch rather than each replica's share of it (synchronised
/// batch normalisation). The trainer hands one to every <see cref="IBatchStatisticsLayer"/> when it is
/// asked to; a layer depends on this interface alone, never on the transport (MPI, threads, …).
/// Every replica calls <see cref="Sum"/> at the same point of a step with the same length. The
/// gradient a layer receives on a replica is that of the mean loss over the replica's own
/// examples, and the trainer weights each replica's parameter gradients by its share of the global
/// batch: a layer that sums gradient terms weights them alike (by its local batch size).
/// </summary>
public interface ICrossReplicaSum
{
    /// <summary>Replaces each value by its sum over every replica (blocking).</summary>
    void Sum(Span<double> values);
}

/// <summary>
/// A layer that can compute its training-mode batch statistics over every replica of a data-parallel
/// run (<see cref="ICrossReplicaSum"/>) instead of its own batch alone.
/// </summary>
public interface IBatchStatisticsLayer
{
    /// <summary>
    /// The sum over the replicas that training-mode forward and backward passes use; null (the
    /// default) keeps the statistics per replica. The trainer sets it for a run and clears it after.
    /// </summary>
    ICrossReplicaSum? CrossReplicaSum { get; set; }
}
