namespace Engine;

/// <summary>
/// The reference random-number generator every backend implements: a counter-based generator in
/// which element <c>i</c> of a fill with seed <c>s</c> is a pure function of (s, i). That makes
/// initialisation independent of thread count and identical on the CPU and the GPU. The mixing
/// function is SplitMix64's finaliser; uniforms take the top 53 bits (rounded to float for float32);
/// normals use the Box–Muller transform on the two uniforms of counters 2⌊i/2⌋ and 2⌊i/2⌋+1.
/// </summary>
public static class CounterRandom
{
    /// <summary>A 64-bit hash of (seed, counter).</summary>
    public static ulong Hash(ulong seed, ulong counter)
    {
        ulong z = seed * 0x9E3779B97F4A7C15UL + counter + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform on [0, 1) with 53 bits of precision.</summary>
    public static double Uniform(ulong seed, ulong counter) =>
        (Hash(seed, counter) >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal value number <paramref name="counter"/>.</summary>
    public static double Normal(ulong seed, ulong counter)
    {
        ulong pair = counter & ~1UL;
        double u1 = 1.0 - Uniform(seed, pair); // (0, 1]: log is finite
        double u2 = Uniform(seed, pair + 1);
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        return (counter & 1) == 0 ? radius * Math.Cos(angle) : radius * Math.Sin(angle);
    }

    /// <summary>Derives an independent seed for a named sub-stream (e.g. one layer's weights).</summary>
    public static ulong Derive(ulong seed, ulong stream) => Hash(seed ^ 0xD1B54A32D192ED03UL, stream);
}
