using System.Diagnostics;

namespace Engine.Core.Distributed;

/// <summary>
/// The step's gradient under <see cref="TrainingOptions.ReductionShards"/>: after each shard's
/// backward pass the trainable parameters' gradients are copied to the host, weighted by the
/// shard's share of the global batch, and summed in the <see cref="ShardTree"/>; <see cref="Finish"/>
/// completes the tree over the ranks and writes the total back into the gradients. Any backend
/// works: gradients pass through host memory. Across ranks the rank's last shard overlaps its
/// backward with the exchanges (<see cref="BeginLastShard"/>): its gradients are added and sent in
/// buckets of layers, from the last layer backwards, as backward passes them, as the bucketed
/// all-reduce does; the tree's order per element does not change, nor do the bits.
/// </summary>
internal sealed class ShardedGradients
{
    private readonly Parameter[] _parameters; // the layers' trainable parameters in layer order: the tree's vector
    private readonly Bucket[] _buckets; // from the last layer backwards
    private readonly ShardTree _tree;
    private readonly bool _overlap;
    private int _next = -1; // the last shard's next bucket to add; -1: not in the last shard
    private float _weight;
    private long _waitTicks;

    public ShardedGradients(Network network, int shards, ICommunicator? group, DistributedOptions? options = null)
    {
        var parameters = new List<Parameter>();
        var buckets = new List<Bucket>();
        var layerFirst = new int[network.Layers.Count + 1];
        var layerStart = new int[network.Layers.Count + 1];
        int elements = 0;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            layerFirst[i] = parameters.Count;
            layerStart[i] = elements;
            foreach (Parameter p in network.Layers[i].Parameters.Where(p => !p.Frozen))
            {
                if (p.Value.DataType != DataType.Float32)
                {
                    throw new ConfigurationException($"split-invariant reduction sums float32 gradients; parameter '{p.Name}' is {p.Value.DataType}");
                }
                parameters.Add(p);
                elements = checked(elements + (int)p.Value.ElementCount);
            }
        }
        layerFirst[^1] = parameters.Count;
        layerStart[^1] = elements;
        // Buckets of at least BucketElements, closed at a layer boundary, from the last layer down.
        int limit = options?.BucketElements ?? int.MaxValue, end = network.Layers.Count;
        for (int i = network.Layers.Count - 1; i >= 0; i--)
        {
            if (layerStart[end] - layerStart[i] >= limit || (i == 0 && layerStart[end] > 0))
            {
                buckets.Add(new Bucket(i, layerFirst[i], layerFirst[end] - layerFirst[i], layerStart[i], layerStart[end] - layerStart[i]));
                end = i;
            }
        }
        _parameters = [.. parameters];
        _buckets = [.. buckets];
        _tree = new ShardTree(elements, shards, group);
        _overlap = group is { Size: > 1 } && options is { Overlap: true };
    }

    /// <summary>How many buckets the last shard's gradients are sent in.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>Whether the next shard is this rank's last and its exchanges may overlap its backward (several ranks, <see cref="DistributedOptions.Overlap"/>).</summary>
    public bool NextOverlaps => _overlap && _tree.NextIsLast;

    /// <summary>Time spent completing the tree over the ranks since the last call.</summary>
    public TimeSpan TakeWaitTime()
    {
        var time = TimeSpan.FromTicks(_waitTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        _waitTicks = 0;
        return time;
    }

    /// <summary>
    /// Backward of one shard has written the gradients of its mean loss: adds them times
    /// <paramref name="weight"/> (the shard's examples over the global batch's; 1/K for a full batch,
    /// a power of two, so exact); an empty shard (weight 0) adds zeros.
    /// </summary>
    public void AddShard(float weight)
    {
        CopyScaled(0, _parameters.Length, _tree.Next(), weight);
        _tree.Add();
    }

    /// <summary>
    /// This rank's last shard (<see cref="NextOverlaps"/>) is about to run backward with weight
    /// <paramref name="weight"/> (0: it is empty): from now on <see cref="LayerDone"/> adds and sends its
    /// buckets as backward completes them, and <see cref="Finish"/> adds the rest (instead of
    /// <see cref="AddShard"/>). Every rank must call it on the same steps, whether or not its
    /// backward reports its layers.
    /// </summary>
    public void BeginLastShard(float weight)
    {
        if (!NextOverlaps)
        {
            throw new InvalidOperationException("the next shard is not this rank's last, or its exchanges cannot overlap");
        }
        _next = 0;
        _weight = weight;
    }

    /// <summary>Backward of the last shard has finished layer <paramref name="layer"/> (<see cref="Network.LayerBackwardDone"/>): adds and sends the buckets it completed.</summary>
    public void LayerDone(int layer)
    {
        while (_next >= 0 && _next < _buckets.Length && _buckets[_next].LowestLayer >= layer)
        {
            AddBucket(_buckets[_next++]);
        }
        _tree.Progress(); // MPI progresses non-blocking transfers only inside MPI calls
    }

    /// <summary>Every shard of this rank was added: sums over the ranks and writes the totals into the gradients.</summary>
    public void Finish()
    {
        while (_next >= 0 && _next < _buckets.Length)
        {
            AddBucket(_buckets[_next++]);
        }
        _next = -1;
        long start = Stopwatch.GetTimestamp();
        ReadOnlySpan<float> total = _tree.Total();
        _waitTicks += Stopwatch.GetTimestamp() - start;
        int offset = 0;
        foreach (Parameter p in _parameters)
        {
            int n = checked((int)p.Value.ElementCount);
            p.Gradient.Backend.CopyFromHost(total.Slice(offset, n), p.Gradient);
            offset += n;
        }
    }

    private void AddBucket(Bucket bucket)
    {
        CopyScaled(bucket.FirstParameter, bucket.Parameters, _tree.Next().Slice(bucket.Start, bucket.Length), _weight);
        _tree.AddLastPart(bucket.Start, bucket.Length);
    }

    // Parameters first … first + count − 1's gradients times weight into buffer, one after another.
    private void CopyScaled(int first, int count, Span<float> buffer, float weight)
    {
        if (weight == 0f)
        {
            buffer.Clear(); // an empty shard adds zeros (its gradients are stale)
            return;
        }
        int offset = 0;
        for (int k = first; k < first + count; k++)
        {
            Parameter p = _parameters[k];
            Span<float> part = buffer.Slice(offset, checked((int)p.Value.ElementCount));
            p.Gradient.Backend.CopyToHost<float>(p.Gradient, part);
            for (int i = 0; i < part.Length; i++)
            {
                part[i] *= weight;
            }
            offset += part.Length;
        }
    }

    // Layers LowestLayer … (the one before the previous bucket's lowest): parameters and elements of the tree's vector.
    private readonly record struct Bucket(int LowestLayer, int FirstParameter, int Parameters, int Start, int Length);
}
