using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>Seeded random fills, bit-for-bit equal to <see cref="CounterRandom"/>.</summary>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    /// <remarks>
    /// Uniform: a + (b − a)·u in double, rounded to the element type and kept below b. Normal:
    /// a + b·n. u and n are <see cref="CounterRandom.Uniform"/> and <see cref="CounterRandom.Normal"/>
    /// of element index i, called directly so that the values cannot drift from the reference.
    /// </remarks>
    public void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed)
    {
        const string op = "FillRandom";
        CpuStorage xs = Check(op, "x", x);
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
        int n = (int)x.ElementCount;
        bool uniform = distribution == RandomDistribution.Uniform;
        if (x.DataType == DataType.Float32)
        {
            Span<float> values = Elements<float>(xs, n);
            if (uniform)
            {
                FillUniform(values, a, b, seed);
            }
            else
            {
                FillNormal(values, a, b, seed);
            }
        }
        else
        {
            Span<double> values = Elements<double>(xs, n);
            if (uniform)
            {
                FillUniform(values, a, b, seed);
            }
            else
            {
                FillNormal(values, a, b, seed);
            }
        }
        GC.KeepAlive(xs);
    }

    private static void FillUniform<T>(Span<T> x, double a, double b, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double width = b - a;
        T upper = T.CreateTruncating(b);
        // u < 1, but a + (b − a)·u can still round up to b (always possible in float): the largest
        // value below b takes its place so the interval stays half-open.
        T belowUpper = T.BitDecrement(upper);
        bool clamp = b > a;
        for (int i = 0; i < x.Length; i++)
        {
            T value = T.CreateTruncating(a + (width * CounterRandom.Uniform(seed, (ulong)i)));
            x[i] = clamp && value >= upper ? belowUpper : value;
        }
    }

    private static void FillNormal<T>(Span<T> x, double mean, double deviation, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = T.CreateTruncating(mean + (deviation * CounterRandom.Normal(seed, (ulong)i)));
        }
    }
}
