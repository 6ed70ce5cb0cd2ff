namespace Engine.Core;

/// <summary>k-fold partitions for cross-validation.</summary>
public static class KFold
{
    /// <summary>
    /// Shuffles 0..<paramref name="count"/>−1 with <paramref name="seed"/> and cuts the permutation
    /// into <paramref name="k"/> consecutive folds whose sizes differ by at most one (the first
    /// count mod k folds are one larger). The folds are disjoint and cover every example; each
    /// lists its indices in ascending order.
    /// </summary>
    public static int[][] Split(int count, int k, ulong seed)
    {
        if (k < 2 || k > count)
        {
            throw new ConfigurationException($"k-fold needs 2 ≤ k ≤ the number of examples ({count}), got k = {k}");
        }
        var order = new int[count];
        EpochOrder.Shuffle(order, seed, 0);
        var folds = new int[k][];
        int start = 0;
        for (int f = 0; f < k; f++)
        {
            int size = count / k + (f < count % k ? 1 : 0);
            folds[f] = order[start..(start + size)];
            Array.Sort(folds[f]);
            start += size;
        }
        return folds;
    }

    /// <summary>Every index not in fold <paramref name="fold"/>, ascending: the training part of that split.</summary>
    public static int[] TrainingIndices(int[][] folds, int fold)
    {
        var indices = folds.Where((_, f) => f != fold).SelectMany(f => f).ToArray();
        Array.Sort(indices);
        return indices;
    }
}
