using System.Diagnostics;

namespace Engine.Core.Distributed;

/// <summary>
/// The step's gradient under <see cref="TrainingOptions.ReductionShards"/>: after each shard's
/// backward pass the trainable parameters' gradients are copied to the host, weighted by the
/// shard's share of the global batch, and summed in the <see cref="ShardTree"/>; <see cref="Finish"/>
/// completes the tree over the ranks and writes the total back into the gradients. Any backend
/// works: gradients pass through host memory.
/// </summary>
internal sealed class ShardedGradients
{
    private readonly Parameter[] _parameters;
    private readonly ShardTree _tree;
    private long _waitTicks;

    public ShardedGradients(Network network, int shards, ICommunicator? group)
    {
        _parameters = [.. network.Parameters.Where(p => !p.Frozen)];
        foreach (Parameter p in _parameters)
        {
            if (p.Value.DataType != DataType.Float32)
            {
                throw new ConfigurationException($"split-invariant reduction sums float32 gradients; parameter '{p.Name}' is {p.Value.DataType}");
            }
        }
        _tree = new ShardTree(checked((int)_parameters.Sum(p => p.Value.ElementCount)), shards, group);
    }

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
        Span<float> buffer = _tree.Next();
        if (weight == 0f)
        {
            buffer.Clear();
        }
        else
        {
            int offset = 0;
            foreach (Parameter p in _parameters)
            {
                Span<float> part = buffer.Slice(offset, checked((int)p.Value.ElementCount));
                p.Gradient.Backend.CopyToHost<float>(p.Gradient, part);
                for (int i = 0; i < part.Length; i++)
                {
                    part[i] *= weight;
                }
                offset += part.Length;
            }
        }
        _tree.Add();
    }

    /// <summary>Every shard of this rank was added: sums over the ranks and writes the totals into the gradients.</summary>
    public void Finish()
    {
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
}
