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
    private readonly List<Part> _parts = [];
    private int _partElements;
    private int _depth;
    private int _added;

    // Exchanges of the last shard's parts are told apart by tag (part i: FirstPartTag + i): parts
    // finish their rounds in different orders on different ranks.
    private const int FirstPartTag = 100;

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
        CheckNotComplete();
        Merge(0, _levels[0].Length);
        Commit();
    }

    /// <summary>Whether the shard in <see cref="Next"/> is this rank's last (its parts may then be added one by one, <see cref="AddLastPart"/>).</summary>
    public bool NextIsLast => _added == _shardsPerRank - 1;

    /// <summary>
    /// Elements <paramref name="start"/> … <paramref name="start"/> + <paramref name="length"/> − 1 of
    /// this rank's last shard (<see cref="NextIsLast"/>) are filled in <see cref="Next"/>: adds them into
    /// this rank's subtree and starts completing that part over the ranks without waiting, while the
    /// rest of the shard is still being computed. Every element is added the way <see cref="Add"/>
    /// adds it, so the bits do not change. Every rank must add the same parts in the same order;
    /// together they cover the vector once, before <see cref="Total"/>.
    /// </summary>
    public void AddLastPart(int start, int length)
    {
        CheckNotComplete();
        if (!NextIsLast)
        {
            throw new InvalidOperationException($"shard {_added + 1} of this rank's {_shardsPerRank} is not its last; add it whole");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _levels[0].Length - start);
        Merge(start, length);
        var part = new Part(start, length, _parts.Count);
        _parts.Add(part);
        _partElements += length;
        StartRound(part);
    }

    /// <summary>
    /// Lets the exchanges of the parts in flight progress. Only each part's first round (the only one
    /// at 2 ranks) starts in <see cref="AddLastPart"/>; later rounds start in <see cref="Total"/>, part
    /// after part, so that every rank starts its exchanges in the same order whatever the timing (a
    /// communicator may pair exchanges by their order, as a blocking <see cref="ICommunicator.Exchange"/> does).
    /// </summary>
    public void Progress()
    {
        foreach (Part part in _parts)
        {
            part.Exchange?.Test();
        }
    }

    /// <summary>
    /// After this rank's K/R shards: the sum of all K shards (the same bits on every rank), completed
    /// over the ranks; valid until the next <see cref="Next"/>. Every rank must call it at once.
    /// </summary>
    public ReadOnlySpan<float> Total()
    {
        if (_parts.Count > 0)
        {
            return TotalOfParts();
        }
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

    private ReadOnlySpan<float> TotalOfParts()
    {
        if (_partElements != _levels[0].Length)
        {
            throw new InvalidOperationException($"the last shard's parts hold {_partElements} of {_levels[0].Length} elements");
        }
        foreach (Part part in _parts)
        {
            while (part.Exchange is { } exchange)
            {
                exchange.Wait();
                Combine(part);
                StartRound(part);
            }
        }
        Commit();
        _parts.Clear();
        _partElements = 0;
        _depth = 0;
        _added = 0;
        return _levels[0];
    }

    // The part's next round of recursive doubling, if any is left: exchange with rank r XOR 2^round.
    private void StartRound(Part part)
    {
        part.Exchange = null;
        if (_group is not { Size: > 1 } group || (1 << part.Round) >= group.Size)
        {
            return;
        }
        int partner = group.Rank ^ (1 << part.Round);
        part.Exchange = group.StartExchange(partner, new ArraySegment<float>(_levels[0], part.Start, part.Length),
            new ArraySegment<float>(_received, part.Start, part.Length), FirstPartTag + part.Index);
    }

    // The part's exchange completed: its parent node, lower rank's + higher rank's.
    private void Combine(Part part)
    {
        int partner = _group!.Rank ^ (1 << part.Round);
        Span<float> sum = _levels[0].AsSpan(part.Start, part.Length);
        ReadOnlySpan<float> received = _received.AsSpan(part.Start, part.Length);
        if (_group.Rank < partner)
        {
            AddInto(sum, sum, received);
        }
        else
        {
            AddInto(sum, received, sum);
        }
        part.Round++;
    }

    private void CheckNotComplete()
    {
        if (_added == _shardsPerRank)
        {
            throw new InvalidOperationException($"all {_shardsPerRank} shards of this rank were added; call Total");
        }
    }

    // Adds, for elements start … start + length − 1, every node the shard in Next completes (the
    // stack's state is left as it is: Commit records the merges once the whole shard is in).
    private void Merge(int start, int length)
    {
        int depth = _depth + 1, height = 0;
        while (depth >= 2 && _heights[depth - 2] == height)
        {
            Span<float> lower = _levels[depth - 2].AsSpan(start, length);
            AddInto(lower, lower, _levels[depth - 1].AsSpan(start, length));
            height++;
            depth--;
        }
    }

    private void Commit()
    {
        _heights[_depth++] = 0;
        _added++;
        while (_depth >= 2 && _heights[_depth - 1] == _heights[_depth - 2])
        {
            _heights[_depth - 2]++;
            _depth--;
        }
    }

    // destination = lower + higher, element by element, in that operand order.
    private static void AddInto(Span<float> destination, ReadOnlySpan<float> lower, ReadOnlySpan<float> higher)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = lower[i] + higher[i];
        }
    }

    // A range of the vector completed over the ranks on its own; Round: the exchanges done.
    private sealed class Part(int start, int length, int index)
    {
        public int Start { get; } = start;

        public int Length { get; } = length;

        public int Index { get; } = index;

        public int Round { get; set; }

        public IAsyncExchange? Exchange { get; set; }
    }
}
