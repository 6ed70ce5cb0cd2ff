namespace Engine.Core;

/// <summary>
/// The order examples are visited in: a Fisher–Yates shuffle driven by <see cref="CounterRandom"/>,
/// so epoch e of seed s is the same permutation on every machine and run.
/// </summary>
public static class EpochOrder
{
    /// <summary>Fills <paramref name="order"/> with a permutation of 0..n−1 for (seed, epoch).</summary>
    public static void Shuffle(Span<int> order, ulong seed, int epoch)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        ulong stream = CounterRandom.Derive(seed, (ulong)epoch);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(CounterRandom.Hash(stream, (ulong)i) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
