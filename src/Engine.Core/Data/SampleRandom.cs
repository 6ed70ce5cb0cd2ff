namespace Engine.Core;

/// <summary>
/// A stream of uniform numbers that is a pure function of its seed: number k is
/// <see cref="CounterRandom.Uniform"/>(seed, k). A value type with no shared state, so each sample's
/// transforms draw their own numbers on any thread without locks.
/// </summary>
public struct SampleRandom
{
    private readonly ulong _seed;
    private ulong _counter;

    /// <summary>The stream of seed <paramref name="seed"/>, from its first number.</summary>
    public SampleRandom(ulong seed)
    {
        _seed = seed;
        _counter = 0;
    }

    /// <summary>The next number, uniform on [0, 1).</summary>
    public double NextDouble() => CounterRandom.Uniform(_seed, _counter++);

    /// <summary>The next number, uniform on [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>A whole number uniform on [<paramref name="low"/>, <paramref name="high"/>], both included.</summary>
    public int Integer(int low, int high) => low + Math.Min(high - low, (int)(NextDouble() * (high - low + 1)));

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public bool Chance(double probability) => NextDouble() < probability;
}
