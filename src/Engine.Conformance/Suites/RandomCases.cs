namespace Engine.Conformance;

/// <summary>
/// Seeded fills and dropout masks: element i is a pure function of (seed, i) through
/// <see cref="CounterRandom"/>, so every backend draws the same numbers (masks exactly; normal values
/// within tolerance, since a device computes log, sin and cos its own way).
/// </summary>
internal static class RandomCases
{
    private static readonly Shape Shape = new(3, 7, 11);

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            var random = new OpDescriptor(BackendOp.Random, type) { Shape = Shape };
            yield return KitCase.Of($"{random} uniform [-0.5, 2)", random, c => Fill(c, RandomDistribution.Uniform, -0.5, 2, 17));
            yield return KitCase.Of($"{random} normal (1, 0.3)", random, c => Fill(c, RandomDistribution.Normal, 1, 0.3, 18));
            var dropout = new OpDescriptor(BackendOp.Dropout, type) { Shape = Shape };
            yield return KitCase.Of($"{dropout} masks", dropout, Dropout);
        }
    }

    private static void Fill(CaseContext c, RandomDistribution distribution, double a, double b, ulong seed)
    {
        Tensor x = c.Garbage(Shape);
        c.Backend.FillRandom(x, distribution, a, b, seed);
        double[] expected = Enumerable.Range(0, (int)Shape.ElementCount).Select(i => distribution == RandomDistribution.Uniform
            ? a + ((b - a) * CounterRandom.Uniform(seed, (ulong)i))
            : a + (b * CounterRandom.Normal(seed, (ulong)i))).ToArray();
        c.Close(expected, x, distribution.ToString().ToLowerInvariant());
        if (distribution == RandomDistribution.Uniform && CaseContext.Download(x).Any(v => v < a || v >= b))
        {
            throw new ConformanceFailure($"uniform: a value outside [{a}, {b})");
        }
    }

    private static void Dropout(CaseContext c)
    {
        foreach (var (p, seed) in new[] { (0.5, 1UL), (0.1, 2UL), (0.0, 3UL), (0.9, ulong.MaxValue) })
        {
            Tensor mask = c.Garbage(Shape);
            c.Backend.DropoutMask(mask, p, seed);
            double kept = c.Round(1 / (1 - p));
            double[] expected = Enumerable.Range(0, (int)Shape.ElementCount).Select(i => CounterRandom.Uniform(seed, (ulong)i) >= p ? kept : 0).ToArray();
            CaseContext.Exact(expected, mask, $"mask p = {p}, seed {seed}");
        }
    }
}
