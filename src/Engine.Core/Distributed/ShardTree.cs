using System.Globalization;
using System.Numerics;

namespace Engine.Core.Distributed;

/// <summary>
/// Sums K shard vectors in a fixed balanced binary tree over the shard index, whatever the number
/// of ranks R (a power of two dividing K) the shards are spread over: node (a, b) is always
/// left(a) + right(b), lower shards on the left. A rank holds shards r·K/R … (r+1)·K/R − 1, an
/// aligned subtree, and sums it as the shards arrive (a stack of at most log2(K/R) + 1 partial sums:
/// a node is added as soon as both children exist). The ranks then complete the tree by recursive
/// doubling: in round i rank r exchanges its partial sum with rank r XOR 2^i, and both compute
/// lower rank's + higher rank's, which is the parent node, with identical bits on both sides (float
/// addition is commutative, not associative). So one process and any R give the same bits, which
/// an all-reduce does not promise: its order depends on R, the message size and the library.
/// </summary>
public sealed class ShardTree
{
    private readonly ICommunicator? _group;
    private readonly int _shardsPerRank;
    private readonly float[][] _levels; // the stack's sums; _heights[k]: shards summed in _levels[k] = 2^height
    private readonly int[] _heights;
    private readonly float[] _received;
    private int _depth;
    private int _added;

    /// <summary>
    /// A tree of <paramref name="shards"/> vectors of <paramref name="elements"/> floats, spread over
    /// <paramref name="group"/>'s ranks (null: one process holds every shard).
    /// </summary>
    public ShardTree(int elements, int shards, ICommunicator? group)
    {
        int ranks = group?.Size ?? 1;
        Check(shards, ranks);
        _group = group;
        _shardsPerRank = shards / ranks;
        int stack = BitOperations.Log2((uint)_shardsPerRank) + 1;
        _levels = [.. Enumerable.Range(0, stack).Select(_ => new float[elements])];
        _heights = new int[stack];
        _received = ranks > 1 ? new float[elements] : [];
    }

    /// <summary>Refuses a shard count that is not a power of two, or a rank count that does not divide it as a power of two.</summary>
    public static void Check(int shards, int ranks)
    {
        if (shards < 1 || !BitOperations.IsPow2(shards))
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"the reduction shards must be a power of two (1, 2, 4, 8, …), got {shards}"));
        }
        if (!BitOperations.IsPow2(ranks) || ranks > shards)
        {
            throw new DistributedMismatchException(string.Create(CultureInfo.InvariantCulture,
                $"{ranks} ranks cannot share {shards} reduction shards: the rank count must be a power of two no larger than the shard count"));
        }
    }

    /// <summary>The buffer of this rank's next shard: fill it, then call <see cref="Add"/>.</summary>
    public Span<float> Next() => _levels[_depth];

    /// <summary>The shard in <see cref="Next"/> is filled: adds every node of the tree it completes.</summary>
    public void Add()
    {
        if (_added == _shardsPerRank)
        {
            throw new InvalidOperationException($"all {_shardsPerRank} shards of this rank were added; call Total");
        }
        _heights[_depth++] = 0;
        _added++;
        while (_depth >= 2 && _heights[_depth - 1] == _heights[_depth - 2])
        {
            AddInto(_levels[_depth - 2], _levels[_depth - 2], _levels[_depth - 1]);
            _heights[_depth - 2]++;
            _depth--;
        }
    }

    /// <summary>
    /// After this rank's K/R shards: the sum of all K shards (the same bits on every rank), completed
    /// over the ranks; valid until the next <see cref="Next"/>. Every rank must call it at once.
    /// </summary>
    public ReadOnlySpan<float> Total()
    {
        if (_added != _shardsPerRank)
        {
            throw new InvalidOperationException($"{_added} of this rank's {_shardsPerRank} shards were added");
        }
        float[] sum = _levels[0];
        if (_group is { Size: > 1 } group)
        {
            for (int distance = 1; distance < group.Size; distance <<= 1)
            {
                int partner = group.Rank ^ distance;
                group.Exchange(partner, sum, _received);
                if (group.Rank < partner)
                {
                    AddInto(sum, sum, _received);
                }
                else
                {
                    AddInto(sum, _received, sum);
                }
            }
        }
        _depth = 0;
        _added = 0;
        return sum;
    }

    // destination = lower + higher, element by element, in that operand order.
    private static void AddInto(Span<float> destination, ReadOnlySpan<float> lower, ReadOnlySpan<float> higher)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = lower[i] + higher[i];
        }
    }
}
