using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        int i = typeof(T) == typeof(float) && VectorMask && Avx512DQ.IsSupported
            ? DropoutMaskVector(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(mask), p, seed, float.CreateTruncating(kept))
            : 0;
        for (; i < mask.Length; i++)
        {
            mask[i] = CounterRandom.Uniform(seed, (ulong)i) >= p ? kept : T.Zero;
        }
    }

    /// <summary>Off (<c>ENGINE_DROPOUT_VECTOR=off</c>): the mask one element at a time (settable for tests and benchmarks).</summary>
    internal static bool VectorMask { get; set; } = Environment.GetEnvironmentVariable("ENGINE_DROPOUT_VECTOR") != "off";

    /// <summary>
    /// The float mask eight counters a step (<see cref="CounterRandom.Hash"/> on 64-bit lanes, AVX-512DQ's 64-bit multiply);
    /// returns how many elements were written. u = (hash ≫ 11)·2⁻⁵³ ≥ p exactly when the integer hash ≫ 11 ≥ ⌈p·2⁵³⌉
    /// (p·2⁵³ is exact in double), so the comparison is on integers and the mask is the scalar loop's bit for bit. The scalar
    /// loop ran VGG-CIFAR's dropout forward (262,144 elements) in 2.0 ms of a 190 ms training step (benchmarks/NOTES.md).
    /// </summary>
    private static int DropoutMaskVector(Span<float> mask, double p, ulong seed, float kept)
    {
        ulong threshold = (ulong)Math.Ceiling(p * (1UL << 53));
        Vector512<ulong> start = Vector512.Create(seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
        Vector512<ulong> limit = Vector512.Create(threshold), m1 = Vector512.Create(0xBF58476D1CE4E5B9UL), m2 = Vector512.Create(0x94D049BB133111EBUL);
        Vector256<float> keep = Vector256.Create(kept);
        int i = 0;
        for (; i + 8 <= mask.Length; i += 8)
        {
            Vector512<ulong> z = start + Vector512.Create((ulong)i);
            z = (z ^ (z >> 30)) * m1;
            z = (z ^ (z >> 27)) * m2;
            z ^= z >> 31;
            Vector256<uint> kept8 = Avx512F.ConvertToVector256UInt32(Vector512.GreaterThanOrEqual(z >> 11, limit));
            (keep & kept8.AsSingle()).StoreUnsafe(ref mask[i]);
        }
        return i;
    }
}
