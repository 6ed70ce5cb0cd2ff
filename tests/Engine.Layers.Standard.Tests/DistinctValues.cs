namespace Engine.Layers.Standard.Tests;

/// <summary>
/// Inputs for layers with a max: a seeded permutation of evenly spaced values in [−1, 1), so every
/// window has a unique maximum that a ±1e-6 perturbation cannot change.
/// </summary>
internal static class DistinctValues
{
    public static double[] Shuffled(int count, ulong seed)
    {
        var values = Enumerable.Range(0, count).Select(i => (2.0 * i / count) - 1).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(CounterRandom.Uniform(seed, (ulong)i) * (i + 1));
            (values[i], values[j]) = (values[j], values[i]);
        }
        return values;
    }
}
