using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-packed</c>: each variant of <see cref="PackedGemmBenchmarks"/> on each product, one
/// call per round, alternating variants, the fastest call kept (the figure least spoiled by other
/// processes on a shared machine). One thread: GFLOP/s per core. Timed by the thread's CPU clock
/// (time the scheduler gave it to other processes does not count) unless <c>--wall</c> follows.
/// </summary>
internal static partial class QuickPacked
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>Milliseconds on the calling thread's CPU clock (Linux), or the wall clock elsewhere or when asked.</summary>
    internal static double Now(bool wall)
    {
        if (!wall && OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuClock, out TimeSpec t) == 0)
        {
            return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
        }
        return Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;
    }

    public static void Run(int rounds, bool wall)
    {
        var bench = new PackedGemmBenchmarks();
        (string Name, Action<PackedGemmBenchmarks> Call)[] variants =
        [
            ("OpenBlas", b => b.OpenBlas()), ("Packed512", b => b.Packed512()), ("Packed256", b => b.Packed256()), ("Packed128", b => b.Packed128()),
        ];
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; ms and GFLOP/s, minimum of {rounds} calls, one thread, {(wall ? "wall clock" : "thread CPU clock")}");
        double peak = 0;
        for (int r = 0; r < Math.Max(3, rounds); r++)
        {
            double start = Now(wall);
            float sink = FmaChains();
            double ms = Now(wall) - start;
            peak = Math.Max(peak, FmaChainFlops / ms / 1e6 + sink * 0);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one-thread FP32 FMA peak in this run: {peak:F0} GFLOP/s (512-bit, best of {Math.Max(3, rounds)})"));
        Console.WriteLine($"{"product",-42} {string.Join(" ", variants.Select(v => $"{v.Name,16}"))}");
        foreach (SmallGemmBenchmarks.Product product in PackedGemmBenchmarks.Products())
        {
            bench.Case = product;
            bench.Setup();
            double[] best = QuickTiming.LeastMilliseconds(rounds, variants.Length, v => variants[v].Call(bench), wall);
            bench.Cleanup();
            double flops = 2.0 * product.M * product.N * product.K;
            Console.WriteLine($"{product.Name,-42} {string.Join(" ", best.Select(ms => string.Create(CultureInfo.InvariantCulture, $"{ms,7:F3} {flops / ms / 1e6,5:F0}GF {flops / ms / 1e6 / peak,4:P0}")))}");
        }
    }

    private const int FmaChainSteps = 1 << 22;
    internal const double FmaChainFlops = 16.0 * FmaChainSteps * 2 * 16;

    // 16 independent 512-bit FMA chains (more than latency × ports), the most one core can do.
    internal static float FmaChains()
    {
        var v = Vector512.Create(1.0001f);
        var m = Vector512.Create(0.9999f);
        Vector512<float> c0 = v, c1 = v, c2 = v, c3 = v, c4 = v, c5 = v, c6 = v, c7 = v;
        Vector512<float> c8 = v, c9 = v, c10 = v, c11 = v, c12 = v, c13 = v, c14 = v, c15 = v;
        for (int i = 0; i < FmaChainSteps; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, v); c1 = Vector512.FusedMultiplyAdd(c1, m, v);
            c2 = Vector512.FusedMultiplyAdd(c2, m, v); c3 = Vector512.FusedMultiplyAdd(c3, m, v);
            c4 = Vector512.FusedMultiplyAdd(c4, m, v); c5 = Vector512.FusedMultiplyAdd(c5, m, v);
            c6 = Vector512.FusedMultiplyAdd(c6, m, v); c7 = Vector512.FusedMultiplyAdd(c7, m, v);
            c8 = Vector512.FusedMultiplyAdd(c8, m, v); c9 = Vector512.FusedMultiplyAdd(c9, m, v);
            c10 = Vector512.FusedMultiplyAdd(c10, m, v); c11 = Vector512.FusedMultiplyAdd(c11, m, v);
            c12 = Vector512.FusedMultiplyAdd(c12, m, v); c13 = Vector512.FusedMultiplyAdd(c13, m, v);
            c14 = Vector512.FusedMultiplyAdd(c14, m, v); c15 = Vector512.FusedMultiplyAdd(c15, m, v);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15);
    }
}
