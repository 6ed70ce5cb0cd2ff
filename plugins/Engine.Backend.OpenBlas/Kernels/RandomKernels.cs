using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Seeded random fills and inverted-dropout masks, bit-for-bit equal to <see cref="CounterRandom"/>:
/// <see cref="CounterRandom.Uniform"/> and <see cref="CounterRandom.Normal"/> of element index i are
/// called directly, and the arithmetic is in double before rounding, so the values cannot drift
/// from the reference whatever the element type.
/// </summary>
internal static class RandomKernels
{
    /// <summary>Uniform: a + (b − a)·u rounded and kept below b. Normal: a + b·n.</summary>
    public static void FillRandom(DataType type, nint x, int count, RandomDistribution distribution, double a, double b, ulong seed)
    {
        bool uniform = distribution == RandomDistribution.Uniform;
        if (type == DataType.Float32)
        {
            Span<float> values = NativeSpan.Of<float>(x, count);
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
            Span<double> values = NativeSpan.Of<double>(x, count);
            if (uniform)
            {
                FillUniform(values, a, b, seed);
            }
            else
            {
                FillNormal(values, a, b, seed);
            }
        }
    }

    /// <summary>mask[i] ← 1/(1 − p) when u(seed, i) ≥ p, else 0.</summary>
    public static void DropoutMask(DataType type, nint mask, int count, double p, ulong seed)
    {
        if (type == DataType.Float32)
        {
            DropoutMaskKernel(NativeSpan.Of<float>(mask, count), p, seed);
        }
        else
        {
            DropoutMaskKernel(NativeSpan.Of<double>(mask, count), p, seed);
        }
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

    private static void DropoutMaskKernel<T>(Span<T> mask, double p, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T kept = T.CreateTruncating(1.0 / (1.0 - p));
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = CounterRandom.Uniform(seed, (ulong)i) >= p ? kept : T.Zero;
        }
    }
}
