namespace Engine.Core.Distributed;

/// <summary>
/// The <see cref="ICrossReplicaSum"/> the trainer hands to batch-statistics layers under
/// <see cref="DistributedOptions.SyncBatchNorm"/>: blocking sums over the ranks. A rank whose share of
/// a step is empty (the last, short global batch) runs no forward pass, yet the others wait for its
/// part of every sum: <see cref="StandIn"/> contributes zeros to the same sums, in the same order,
/// as the last step this rank trained (recorded between <see cref="BeginStep"/> calls). Its layers
/// then missed the step's running statistics, which <see cref="ShareRankZeroState"/> hands on.
/// </summary>
internal sealed class BatchStatisticsSum(ICommunicator group) : ICrossReplicaSum
{
    private readonly List<int> _lengths = [];
    private int[]? _step;

    public void Sum(Span<double> values)
    {
        _lengths.Add(values.Length);
        group.Sum(values);
    }

    /// <summary>A step begins: the sums of the one before, if it trained, become the pattern to stand in with.</summary>
    public void BeginStep()
    {
        if (_lengths.Count > 0)
        {
            _step = [.. _lengths];
            _lengths.Clear();
        }
    }

    /// <summary>
    /// Every rank takes rank 0's state of the batch-statistics layers (the running statistics): a sum
    /// to which the other ranks add zeros, exact. After a step in which a rank had no examples (rank 0
    /// always has examples, the first shares being the longer), and before an evaluation split across
    /// the ranks, whose running statistics differ without <see cref="DistributedOptions.SyncBatchNorm"/>
    /// (each rank then evaluates with the model rank 0 checkpoints).
    /// </summary>
    public static void ShareRankZeroState(ICommunicator group, IEnumerable<ILayer> layers)
    {
        IStatefulComponent[] stateful = [.. layers.Where(l => l is IBatchStatisticsLayer).OfType<IStatefulComponent>()];
        var state = new StateDictionary();
        for (int i = 0; i < stateful.Length; i++)
        {
            stateful[i].SaveState(state, $"{i}/");
        }
        Array[] arrays = [.. state.Names.Select(n => state[n].Values)];
        var values = new double[arrays.Sum(a => a.Length)];
        if (group.Rank == 0)
        {
            int k = 0;
            foreach (Array array in arrays)
            {
                foreach (object value in array)
                {
                    values[k++] = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        group.Sum(values);
        int next = 0;
        foreach (Array array in arrays)
        {
            for (int j = 0; j < array.Length; j++)
            {
                array.SetValue(Convert.ChangeType(values[next++], array.GetType().GetElementType()!, System.Globalization.CultureInfo.InvariantCulture), j);
            }
        }
        for (int i = 0; i < stateful.Length; i++)
        {
            stateful[i].LoadState(state, $"{i}/");
        }
    }

    /// <summary>Takes part, with zeros, in the sums of a step this rank has no examples for.</summary>
    public void StandIn()
    {
        // Every rank trains the first step of an epoch (a global batch splits into non-empty shares), so a pattern exists.
        foreach (int length in _step ?? throw new InvalidOperationException("no step to stand in for has been recorded"))
        {
            group.Sum(new double[length]);
        }
    }
}
