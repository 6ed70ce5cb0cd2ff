using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace Engine.Cli;

/// <summary>
/// The machine's FP32 fused multiply-add peak, measured rather than looked up: every core runs a
/// loop of independent vector FMAs (the widest width the CPU accelerates) for a fixed count and
/// the rate is total FLOPs over the wall time of the slowest thread. <c>bench layers</c> reports
/// each case as a share of it, so "near the FMA peak" is a measured, same-run figure.
/// </summary>
internal static class FmaPeak
{
    // Enough iterations that thread start-up is noise (~20 ms at 4 GHz), few enough to stay quick.
    private const int Iterations = 20_000_000;

    /// <summary>The vector width used, in bits: 512 where the CPU accelerates it, else 256.</summary>
    public static int WidthBits => Vector512.IsHardwareAccelerated ? 512 : 256;

    /// <summary>GFLOP/s of all cores together, best of <paramref name="rounds"/> (the machine may be shared).</summary>
    public static double Measure(int rounds)
    {
        double best = 0;
        for (int r = 0; r < Math.Max(1, rounds); r++)
        {
            int threads = Environment.ProcessorCount;
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Loop());
            double seconds = clock.Elapsed.TotalSeconds;
            // 16 FMAs per iteration, 2 FLOPs per lane.
            double flops = (double)threads * Iterations * 16 * 2 * (WidthBits / 32);
            best = Math.Max(best, flops / seconds / 1e9);
        }
        return best;
    }

    // 16 independent accumulators: FMA latency (4 cycles) × 2 FMA ports needs at least 8 in flight.
    private static float Loop() => WidthBits == 512 ? Run<Wide512, Vector512<float>>() : Run<Wide256, Vector256<float>>();

    private static float Run<TW, TV>() where TW : struct, IWidth<TV> where TV : struct
    {
        TV m = TW.Create(0.999999f), a = TW.Create(1e-7f);
        TV s0 = m, s1 = m, s2 = m, s3 = m, s4 = m, s5 = m, s6 = m, s7 = m;
        TV s8 = m, s9 = m, s10 = m, s11 = m, s12 = m, s13 = m, s14 = m, s15 = m;
        for (int i = 0; i < Iterations; i++)
        {
            s0 = TW.Fma(s0, m, a); s1 = TW.Fma(s1, m, a); s2 = TW.Fma(s2, m, a); s3 = TW.Fma(s3, m, a);
            s4 = TW.Fma(s4, m, a); s5 = TW.Fma(s5, m, a); s6 = TW.Fma(s6, m, a); s7 = TW.Fma(s7, m, a);
            s8 = TW.Fma(s8, m, a); s9 = TW.Fma(s9, m, a); s10 = TW.Fma(s10, m, a); s11 = TW.Fma(s11, m, a);
            s12 = TW.Fma(s12, m, a); s13 = TW.Fma(s13, m, a); s14 = TW.Fma(s14, m, a); s15 = TW.Fma(s15, m, a);
        }
        // The sum keeps the JIT from dropping the loop.
        TV all = TW.Add(TW.Add(TW.Add(s0, s1), TW.Add(s2, s3)), TW.Add(TW.Add(s4, s5), TW.Add(s6, s7)));
        all = TW.Add(all, TW.Add(TW.Add(TW.Add(s8, s9), TW.Add(s10, s11)), TW.Add(TW.Add(s12, s13), TW.Add(s14, s15))));
        return TW.Sum(all);
    }

    /// <summary>The vector operations the loop needs at one width (struct type arguments: the JIT inlines them).</summary>
    private interface IWidth<TV> where TV : struct
    {
        static abstract TV Create(float value);
        static abstract TV Fma(TV a, TV b, TV c);
        static abstract TV Add(TV a, TV b);
        static abstract float Sum(TV value);
    }

    private readonly struct Wide512 : IWidth<Vector512<float>>
    {
        public static Vector512<float> Create(float value) => Vector512.Create(value);
        public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
        public static float Sum(Vector512<float> value) => Vector512.Sum(value);
    }

    private readonly struct Wide256 : IWidth<Vector256<float>>
    {
        public static Vector256<float> Create(float value) => Vector256.Create(value);
        public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
        public static float Sum(Vector256<float> value) => Vector256.Sum(value);
    }
}
