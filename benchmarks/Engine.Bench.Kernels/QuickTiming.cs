namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// The quick benches' one timing loop: every variant called once per round, variants alternating so that a
/// neighbour's burst of load spoils all of them alike, and the least time of each kept (on a shared machine the
/// minimum is the figure least spoiled by descheduling).
/// </summary>
internal static class QuickTiming
{
    /// <summary>
    /// Least milliseconds of <paramref name="call"/>(v) for each variant v in [0, <paramref name="variants"/>) over
    /// <paramref name="rounds"/> rounds, on the thread's CPU clock (or the wall clock when <paramref name="wall"/>:
    /// for calls that run on the pool's other threads too).
    /// </summary>
    public static double[] LeastMilliseconds(int rounds, int variants, Action<int> call, bool wall = false)
    {
        var best = new double[variants];
        Array.Fill(best, double.MaxValue);
        for (int r = 0; r < rounds; r++)
        {
            for (int v = 0; v < variants; v++)
            {
                double start = QuickPacked.Now(wall);
                call(v);
                best[v] = Math.Min(best[v], QuickPacked.Now(wall) - start);
            }
        }
        return best;
    }
}
