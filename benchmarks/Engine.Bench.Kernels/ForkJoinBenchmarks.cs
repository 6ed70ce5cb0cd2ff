using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// The cost of one loop of the backend's pool (<see cref="WorkerPool.For"/>), steady pool (the default)
/// against the earlier one (<c>ENGINE_POOL_STEADY=off</c>), at two threads:
/// <list type="bullet">
/// <item><see cref="EmptyPair"/>: two empty items, loops back to back (the fork/join alone);</item>
/// <item><see cref="PairOfTwentyMicroseconds"/>: two items of about 20 µs each, after about
/// <see cref="GapMicroseconds"/> µs of serial work on the caller (a LeNet-5 step's loss, gradient sums
/// and SGD between its parallel passes): 20 µs when the worker takes its item at once, 40 when the
/// caller runs both.</item>
/// </list>
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*ForkJoin*'</c>,
/// or <c>-- --quick-fork-join [rounds]</c> for minima and medians that survive a busy machine.
/// </summary>
public unsafe class ForkJoinBenchmarks
{
    private int _width;
    private bool _steady;

    [Params(true, false)]
    public bool Steady { get; set; }

    [Params(0, 100, 1000)]
    public int GapMicroseconds { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_width, _steady) = (WorkerPool.Width, WorkerPool.Steady);
        WorkerPool.Width = 2;
        WorkerPool.Steady = Steady;
    }

    [GlobalCleanup]
    public void Cleanup() => (WorkerPool.Width, WorkerPool.Steady) = (_width, _steady);

    [Benchmark]
    public void EmptyPair() => WorkerPool.For(2, 2, &Nothing, null);

    [Benchmark]
    public void PairOfTwentyMicroseconds()
    {
        Busy(GapMicroseconds);
        long ticks = Stopwatch.Frequency / 50_000;
        WorkerPool.For(2, 2, &Spin, &ticks);
    }

    private static void Nothing(void* state, int item, int worker)
    {
    }

    private static void Spin(void* state, int item, int worker)
    {
        long end = Stopwatch.GetTimestamp() + *(long*)state;
        while (Stopwatch.GetTimestamp() < end)
        {
            Thread.SpinWait(1);
        }
    }

    private static void Busy(int microseconds)
    {
        long ticks = Stopwatch.Frequency * microseconds / 1_000_000;
        Spin(&ticks, 0, 0);
    }

    /// <summary><c>--quick-fork-join</c>: per pool and gap, the least and the median time of a loop, alternating the pools.</summary>
    public static void Quick(int rounds)
    {
        var bench = new ForkJoinBenchmarks();
        Console.WriteLine($"{"loop",-28} {"gap us",7} {"steady min/median us",22} {"earlier min/median us",22}   ({rounds} rounds of 50 loops)");
        foreach (int gap in new[] { 0, 30, 100, 300, 1000 })
        {
            foreach ((string name, Action<ForkJoinBenchmarks> call) in new (string, Action<ForkJoinBenchmarks>)[]
            {
                ("empty pair", b => { Busy(b.GapMicroseconds); b.EmptyPair(); }), ("pair of 20 us items", b => b.PairOfTwentyMicroseconds()),
            })
            {
                var times = new List<double>[] { [], [] };
                for (int r = 0; r < rounds; r++)
                {
                    for (int v = 0; v < 2; v++)
                    {
                        bench.Steady = v == 0;
                        bench.GapMicroseconds = gap;
                        bench.Setup();
                        for (int i = 0; i < 50; i++)
                        {
                            Busy(gap);
                            long start = Stopwatch.GetTimestamp();
                            if (name == "empty pair")
                            {
                                bench.EmptyPair();
                            }
                            else
                            {
                                long ticks = Stopwatch.Frequency / 50_000;
                                WorkerPool.For(2, 2, &Spin, &ticks);
                            }
                            times[v].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                        }
                        bench.Cleanup();
                    }
                }
                string Cell(List<double> t)
                {
                    t.Sort();
                    return string.Create(CultureInfo.InvariantCulture, $"{t[0],9:F1} / {t[t.Count / 2],8:F1}");
                }
                Console.WriteLine($"{name,-28} {gap,7} {Cell(times[0]),22} {Cell(times[1]),22}");
            }
        }
    }
}
