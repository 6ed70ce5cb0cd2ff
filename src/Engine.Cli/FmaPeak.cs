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
    private static float Loop() => WidthBits == 512 ? Run512() : Run256();

    private static float Run512()
    {
        Vector512<float> m = Vector512.Create(0.999999f), a = Vector512.Create(1e-7f);
        Vector512<float> s0 = m, s1 = m, s2 = m, s3 = m, s4 = m, s5 = m, s6 = m, s7 = m;
        Vector512<float> s8 = m, s9 = m, s10 = m, s11 = m, s12 = m, s13 = m, s14 = m, s15 = m;
        for (int i = 0; i < Iterations; i++)
        {
            s0 = Vector512.FusedMultiplyAdd(s0, m, a); s1 = Vector512.FusedMultiplyAdd(s1, m, a);
            s2 = Vector512.FusedMultiplyAdd(s2, m, a); s3 = Vector512.FusedMultiplyAdd(s3, m, a);
            s4 = Vector512.FusedMultiplyAdd(s4, m, a); s5 = Vector512.FusedMultiplyAdd(s5, m, a);
            s6 = Vector512.FusedMultiplyAdd(s6, m, a); s7 = Vector512.FusedMultiplyAdd(s7, m, a);
            s8 = Vector512.FusedMultiplyAdd(s8, m, a); s9 = Vector512.FusedMultiplyAdd(s9, m, a);
            s10 = Vector512.FusedMultiplyAdd(s10, m, a); s11 = Vector512.FusedMultiplyAdd(s11, m, a);
            s12 = Vector512.FusedMultiplyAdd(s12, m, a); s13 = Vector512.FusedMultiplyAdd(s13, m, a);
            s14 = Vector512.FusedMultiplyAdd(s14, m, a); s15 = Vector512.FusedMultiplyAdd(s15, m, a);
        }
        // The sum keeps the JIT from dropping the loop.
        return Vector512.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11 + s12 + s13 + s14 + s15);
    }

    private static float Run256()
    {
        Vector256<float> m = Vector256.Create(0.999999f), a = Vector256.Create(1e-7f);
        Vector256<float> s0 = m, s1 = m, s2 = m, s3 = m, s4 = m, s5 = m, s6 = m, s7 = m;
        Vector256<float> s8 = m, s9 = m, s10 = m, s11 = m, s12 = m, s13 = m, s14 = m, s15 = m;
        for (int i = 0; i < Iterations; i++)
        {
            s0 = Vector256.FusedMultiplyAdd(s0, m, a); s1 = Vector256.FusedMultiplyAdd(s1, m, a);
            s2 = Vector256.FusedMultiplyAdd(s2, m, a); s3 = Vector256.FusedMultiplyAdd(s3, m, a);
            s4 = Vector256.FusedMultiplyAdd(s4, m, a); s5 = Vector256.FusedMultiplyAdd(s5, m, a);
            s6 = Vector256.FusedMultiplyAdd(s6, m, a); s7 = Vector256.FusedMultiplyAdd(s7, m, a);
            s8 = Vector256.FusedMultiplyAdd(s8, m, a); s9 = Vector256.FusedMultiplyAdd(s9, m, a);
            s10 = Vector256.FusedMultiplyAdd(s10, m, a); s11 = Vector256.FusedMultiplyAdd(s11, m, a);
            s12 = Vector256.FusedMultiplyAdd(s12, m, a); s13 = Vector256.FusedMultiplyAdd(s13, m, a);
            s14 = Vector256.FusedMultiplyAdd(s14, m, a); s15 = Vector256.FusedMultiplyAdd(s15, m, a);
        }
        return Vector256.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11 + s12 + s13 + s14 + s15);
    }
}
