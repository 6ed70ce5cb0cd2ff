using System.Diagnostics;
using System.Runtime;

namespace Engine.Cli;

/// <summary>
/// The warm-up of <c>engine bench train</c> when <c>--warmup</c> is not given: the fixed steps, then
/// more until the JIT has compiled nothing for <see cref="Quiet"/>. .NET's tiered compilation
/// recompiles hot methods on a background thread only after a delay (100 ms, extended while new
/// methods keep arriving) and in several tiers (instrumented, then optimised), so after 50 LeNet-5
/// steps (about 0.1 s) most of a step still ran unoptimised code and the compiler thread worked
/// through the timed rounds: up to a second of CPU time on the second core, which at
/// <c>OPENBLAS_NUM_THREADS=2</c> is the core the pool's worker needs (measured 2026-11-27: CPU per
/// step 3.6–6.1 ms after 50 warm-up steps against 2.4–3.0 ms after 1,500, alternating).
/// </summary>
internal static class BenchWarmUp
{
    /// <summary>How long the JIT must have compiled nothing before the timed rounds start.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    /// <summary>The most the warm-up is extended (a machine too busy to let the JIT settle still gets measured).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>Training steps between looks at the JIT's count, each followed by one inference step (the rounds run both).</summary>
    private const int Chunk = 10;

    /// <summary>Methods the JIT has compiled so far in this process, on any thread.</summary>
    public static long CompiledMethods => JitInfo.GetCompiledMethodCount(currentThread: false);

    /// <summary>
    /// Runs training steps from <paramref name="next"/> on (and an inference step after every
    /// <see cref="Chunk"/>) until the JIT has compiled nothing for <paramref name="quiet"/> or
    /// <paramref name="limit"/> has passed; returns how many training steps it ran and whether the JIT settled.
    /// </summary>
    public static (int Steps, bool Settled) UntilJitQuiet(Action<int> trainStep, Action<int> inferenceStep, int next, TimeSpan quiet, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(trainStep);
        ArgumentNullException.ThrowIfNull(inferenceStep);
        var clock = Stopwatch.StartNew();
        long count = CompiledMethods;
        TimeSpan lastChange = TimeSpan.Zero;
        int steps = 0;
        while (clock.Elapsed - lastChange < quiet)
        {
            if (clock.Elapsed >= limit)
            {
                return (steps, false);
            }
            for (int i = 0; i < Chunk; i++)
            {
                trainStep(next + steps++);
            }
            inferenceStep(steps / Chunk);
            long now = CompiledMethods;
            if (now != count)
            {
                count = now;
                lastChange = clock.Elapsed;
            }
        }
        return (steps, true);
    }
}
