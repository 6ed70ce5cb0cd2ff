namespace Engine;

/// <summary>Seeded random fills and dropout masks, bit-for-bit the same on every backend.</summary>
public static partial class BackendContract
{
    /// <summary>
    /// <see cref="IBackend.FillRandom"/>: x is a floating-point operand; uniform on [a, b) needs
    /// finite a ≤ b, normal needs a finite mean a and a standard deviation b ≥ 0; the distribution is
    /// defined. Semantics: element i is a + (b − a)·<see cref="CounterRandom.Uniform"/>(seed, i) in
    /// double, rounded to the element type and kept below b, or a + b·<see cref="CounterRandom.Normal"/>(seed, i).
    /// </summary>
    public static void FillRandom(IBackend backend, Tensor x, RandomDistribution distribution, double a, double b, ulong seed)
    {
        const string op = "FillRandom";
        Operand(backend, op, "x", x);
        Written(x);
        switch (distribution)
        {
            case RandomDistribution.Uniform:
                if (!double.IsFinite(a) || !double.IsFinite(b) || b < a)
                {
                    throw new ArgumentException($"{op}: a uniform distribution on [a, b) needs finite a <= b, got a = {a}, b = {b}");
                }
                break;
            case RandomDistribution.Normal:
                if (!double.IsFinite(a) || !double.IsFinite(b) || b < 0)
                {
                    throw new ArgumentException($"{op}: a normal distribution needs a finite mean a and a standard deviation b >= 0, got a = {a}, b = {b}");
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(distribution), distribution, $"{op}: unknown distribution");
        }
    }

    /// <summary>
    /// <see cref="IBackend.DropoutMask"/>: mask is a floating-point operand and p is in [0, 1).
    /// Semantics: the comparison u ≥ p is made in double on <see cref="CounterRandom.Uniform"/>(seed, i)
    /// itself and the kept value 1/(1 − p) is computed in double and then rounded.
    /// </summary>
    public static void DropoutMask(IBackend backend, Tensor mask, double p, ulong seed)
    {
        const string op = "DropoutMask";
        Operand(backend, op, "mask", mask);
        Written(mask);
        if (!(p >= 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, $"{op}: the drop probability p must be in [0, 1)");
        }
    }
}
