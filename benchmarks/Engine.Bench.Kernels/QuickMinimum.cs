using System.Diagnostics;
using System.Globalization;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick</c>: each variant of each product timed in many short bursts, alternating variants,
/// keeping the fastest burst. On a machine shared with other work the minimum is the figure least
/// spoiled by descheduling (BenchmarkDotNet's means there move by 2–5× under load).
/// </summary>
internal static class QuickMinimum
{
    public static void Run(int rounds)
    {
        var bench = new SmallGemmBenchmarks();
        (string Name, Action<SmallGemmBenchmarks> Call)[] variants =
        [
            ("OpenBlas", b => b.OpenBlas()), ("Own512", b => b.Own512()), ("Own256", b => b.Own256()), ("Own128", b => b.Own128()),
        ];
        Console.WriteLine($"{"product",-30} {string.Join(" ", variants.Select(v => $"{v.Name + " us",12}"))}   (minimum of {rounds} bursts of 20 calls)");
        foreach (SmallGemmBenchmarks.Product product in SmallGemmBenchmarks.Products())
        {
            bench.Case = product;
            bench.Setup();
            var best = new double[variants.Length];
            Array.Fill(best, double.MaxValue);
            for (int r = 0; r < rounds; r++)
            {
                for (int v = 0; v < variants.Length; v++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int i = 0; i < 20; i++)
                    {
                        variants[v].Call(bench);
                    }
                    best[v] = Math.Min(best[v], Stopwatch.GetElapsedTime(start).TotalMicroseconds / 20);
                }
            }
            bench.Cleanup();
            double flops = 2.0 * product.M * product.N * product.K;
            Console.WriteLine($"{product.Name,-30} {string.Join(" ", best.Select(us => string.Create(CultureInfo.InvariantCulture, $"{us,6:F2} {flops / us / 1e3,4:F0}GF")))}");
        }
    }
}
