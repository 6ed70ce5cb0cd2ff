using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Cli;

/// <summary>
/// The machine's main-memory bandwidth, measured rather than looked up, so that <c>bench layers</c>
/// can show each memory-bound case (pooling, batch norm, ReLU) as a share of it. A copy of a buffer
/// far beyond the last-level cache (two 128 MB arrays; the cache here is 32 MB) by plain vector loads
/// and stores — as the layers' kernels write, so a store's line is read before it is written, just
/// as theirs are — split over the same number of threads as the cases, and counted as the cases'
/// "least f+b traffic" is: bytes read plus bytes written (2 × 128 MB a pass), over the wall time.
/// </summary>
internal static class MemoryBandwidth
{
    /// <summary>Floats in each of the two arrays: 128 MB, four times the 32 MB third-level cache of the reference machine.</summary>
    public const int Elements = 32 << 20;

    /// <summary>
    /// GB/s (read + written bytes per second) of the best of <paramref name="passes"/> copies on
    /// <paramref name="threads"/> threads, per second of wall time, or with <paramref name="cpuTime"/>
    /// per second of the process's CPU time (all threads), as <c>--cpu-time</c> counts the cases.
    /// </summary>
    public static double Measure(int threads, int passes, bool cpuTime)
    {
        threads = Math.Max(1, threads);
        float[] source = GC.AllocateUninitializedArray<float>(Elements);
        float[] target = GC.AllocateUninitializedArray<float>(Elements);
        // Touch every page of both first, each thread its own part, so the timed passes fault nothing.
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var (start, count) = Part(t, threads);
            source.AsSpan(start, count).Fill(1f);
            target.AsSpan(start, count).Clear();
        });
        double best = 0;
        for (int p = 0; p < Math.Max(1, passes); p++)
        {
            TimeSpan cpu = Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var (start, count) = Part(t, threads);
                Copy(source, target, start, count);
            });
            double seconds = cpuTime ? (Environment.CpuUsage.TotalTime - cpu).TotalSeconds : clock.Elapsed.TotalSeconds;
            best = seconds > 0 ? Math.Max(best, 2.0 * Elements * sizeof(float) / seconds / 1e9) : best;
        }
        GC.KeepAlive(target);
        return best;
    }

    // Thread t's contiguous part, a whole number of 32-float blocks except the last.
    private static (int Start, int Count) Part(int t, int threads)
    {
        int block = (Elements / threads) & ~31;
        int start = t * block;
        return (start, t == threads - 1 ? Elements - start : block);
    }

    // Four 256-bit loads then four stores per step: plain (temporal) stores, no streaming hints,
    // since no layer kernel uses them either.
    private static void Copy(float[] source, float[] target, int start, int count)
    {
        ref float from = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(source), start);
        ref float to = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(target), start);
        int i = 0;
        for (; i + 32 <= count; i += 32)
        {
            var a = Vector256.LoadUnsafe(ref from, (nuint)i);
            var b = Vector256.LoadUnsafe(ref from, (nuint)(i + 8));
            var c = Vector256.LoadUnsafe(ref from, (nuint)(i + 16));
            var d = Vector256.LoadUnsafe(ref from, (nuint)(i + 24));
            a.StoreUnsafe(ref to, (nuint)i);
            b.StoreUnsafe(ref to, (nuint)(i + 8));
            c.StoreUnsafe(ref to, (nuint)(i + 16));
            d.StoreUnsafe(ref to, (nuint)(i + 24));
        }
        for (; i < count; i++)
        {
            Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
        }
    }
}
