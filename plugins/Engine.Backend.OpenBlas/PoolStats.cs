using System.Diagnostics;
using System.Globalization;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// A count of the pool's loops for measuring (<c>ENGINE_POOL_STATS=FILE</c>; off when unset): how many
/// loops ran serially and why (width 1, the earlier pool's back-off, a loop already running), how
/// many ran parallel, the caller's own time and its wait for the workers per parallel loop, how
/// many items the caller ran itself, and the loops' item counts by powers of two. Written to FILE
/// every 64 loops (a process ending inside a benchmark may not run exit handlers).
/// </summary>
internal static class PoolStats
{
    private static readonly string? Target = Environment.GetEnvironmentVariable("ENGINE_POOL_STATS");

    /// <summary>Whether loops are counted (the check the pool makes per loop).</summary>
    public static readonly bool On = Target is { Length: > 0 };

    private static readonly long[] CountsByLog2 = new long[8];
    private static long _calls, _width1, _backOff, _busy, _parallel, _ownTicks, _waitTicks, _alone, _callerItems, _items;

    /// <summary>A loop of <paramref name="count"/> items at <paramref name="width"/> threads begins.</summary>
    public static void Call(int count, int width, bool backOff, bool busy)
    {
        if (width <= 1)
        {
            Interlocked.Increment(ref _width1);
        }
        else if (backOff)
        {
            Interlocked.Increment(ref _backOff);
        }
        else if (busy)
        {
            Interlocked.Increment(ref _busy);
        }
        Interlocked.Increment(ref CountsByLog2[Math.Min(7, count <= 1 ? 0 : (int)Math.Log2(count))]);
        if (Interlocked.Increment(ref _calls) % 64 == 0)
        {
            Write();
        }
    }

    /// <summary>A parallel loop ended (called while the pool is still held, so one thread at a time).</summary>
    public static void Parallel(long ownTicks, long waitTicks, int callerItems, int count)
    {
        _parallel++;
        _ownTicks += ownTicks;
        _waitTicks += waitTicks;
        _callerItems += callerItems;
        _items += count;
        _alone += callerItems >= count ? 1 : 0;
    }

    private static void Write()
    {
        double us = 1e6 / Stopwatch.Frequency / Math.Max(1, _parallel);
        File.WriteAllText(Target!, string.Create(CultureInfo.InvariantCulture,
            $"pool: loops {_calls}: serial at width 1 {_width1}, backed off {_backOff}, inside a loop {_busy}, parallel {_parallel} " +
            $"(caller's own {_ownTicks * us:F1} us, wait {_waitTicks * us:F1} us per loop; caller ran {_callerItems} of {_items} items, all of them in {_alone}); " +
            $"items by log2 {string.Join(',', CountsByLog2)}\n"));
    }
}
