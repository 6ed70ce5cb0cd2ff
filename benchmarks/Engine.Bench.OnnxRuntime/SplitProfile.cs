using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Engine;
using Engine.Core;

/// <summary>
/// <c>--split-profile N</c>: where an inference pass's time goes with the inference split on (the per-layer
/// hook of <see cref="LayerProfile"/> turns the split off). Each layer's time is clocked on the thread that ran
/// it, by that thread's CPU clock and by wall time, from the end of its previous layer or from the start of its
/// piece (<see cref="Network.LayerProbe"/>, which the split's copies take, and the pieces' start hook), and
/// summed over the threads; so at two threads a layer's CPU here against one thread's says what running the
/// network in pieces on two cores at once costs that layer. Per pass also: each thread's time inside its pieces
/// (wall, from its first piece's start to its last layer) and the idle time, threads × pass wall − their time
/// inside pieces (the late worker's start and the tail: one thread done, the other still inside a piece).
/// </summary>
internal static partial class SplitProfile
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    private static double ThreadCpuMs()
    {
        ClockGetTime(ThreadCpuClock, out TimeSpec t);
        return t.Seconds * 1e3 + t.Nanoseconds * 1e-6;
    }

    private static double WallMs() => Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;

    [ThreadStatic]
    private static double t_lastCpu, t_lastWall;

    private sealed class ThreadPass
    {
        public double Busy; // wall ms inside pieces this pass
        public double PieceStart;
        public double First; // wall of its first piece's start
        public int Pieces;
    }

    private sealed class Totals
    {
        public readonly Dictionary<string, (double Cpu, double Wall)> ByKind = new(StringComparer.Ordinal);
        public readonly List<double> Walls = [];
        public double Cpu, Idle, Late, Tail;
        public int ThreadPasses, Pieces, Passes;
    }

    /// <summary>
    /// <paramref name="passes"/> clocked passes for each of <paramref name="settings"/> (ENGINE_SPLIT_PIECES values),
    /// in rounds of one pass per setting, alternating, so that a burst of load hits every setting alike.
    /// </summary>
    public static void Print(Network network, Func<float[]> engine, int passes, IReadOnlyList<string> settings)
    {
        var totals = settings.Select(_ => new Totals()).ToArray();
        var threads = new Dictionary<int, ThreadPass>();
        var gate = new Lock();
        Totals current = totals[0];
        string[] keys = [.. Enumerable.Range(0, network.Layers.Count).Select(i =>
        {
            Shape s = network.OutputShapes[i];
            return $"{network.Layers[i].Kind} {(s.Rank == 3 ? $"{s[0]}x{s[1]}x{s[2]}" : s.ToString())}";
        })];
        network.LayerProbe = i =>
        {
            double cpu = ThreadCpuMs(), wall = WallMs();
            lock (gate)
            {
                (double c, double w) = current.ByKind.GetValueOrDefault(keys[i]);
                current.ByKind[keys[i]] = (c + cpu - t_lastCpu, w + wall - t_lastWall);
                if (threads.TryGetValue(Environment.CurrentManagedThreadId, out ThreadPass? tp))
                {
                    tp.Busy = wall - tp.PieceStart; // up to this layer's end; the piece's last layer leaves the final figure
                }
            }
            t_lastCpu = cpu;
            t_lastWall = wall;
        };
        network.SplitPieceStarting = (copy, piece) =>
        {
            double cpu = ThreadCpuMs(), wall = WallMs();
            lock (gate)
            {
                int id = Environment.CurrentManagedThreadId;
                if (!threads.TryGetValue(id, out ThreadPass? tp))
                {
                    threads[id] = tp = new ThreadPass { PieceStart = wall, First = wall };
                }
                else
                {
                    tp.PieceStart = wall - tp.Busy; // continue the thread's span: the time between its pieces is its own
                }
                tp.Pieces++;
            }
            t_lastCpu = cpu;
            t_lastWall = wall;
        };
        int saved = SplitPieces.Setting;
        bool savedTail = SplitPieces.Tail;
        using var process = Process.GetCurrentProcess();
        try
        {
            for (int p = 0; p < passes; p++)
            {
                for (int k = 0; k < settings.Count; k++)
                {
                    current = totals[k];
                    // "auto", "8", …: ENGINE_SPLIT_PIECES; a suffix ":off" or ":on" sets ENGINE_SPLIT_TAIL for that side.
                    string[] parts = settings[k].Split(':');
                    SplitPieces.Setting = SplitPieces.Parse(parts[0]);
                    SplitPieces.Tail = parts.Length > 1 ? SplitPieces.ParseTail(parts[1]) : savedTail;
                    Thread.Sleep(20); // the previous pass's worker goes to sleep first, as between the timed sides
                    threads.Clear();
                    t_lastCpu = ThreadCpuMs();
                    t_lastWall = WallMs();
                    process.Refresh();
                    TimeSpan cpuStart = process.TotalProcessorTime;
                    double start = WallMs();
                    engine();
                    double wall = WallMs() - start;
                    process.Refresh();
                    current.Walls.Add(wall);
                    current.Cpu += (process.TotalProcessorTime - cpuStart).TotalMilliseconds;
                    current.Idle += threads.Count == 0 ? 0 : threads.Count * wall - threads.Values.Sum(t => t.Busy);
                    if (threads.Count > 1)
                    {
                        // The last thread to start its first piece, from the pass's start; the first to end, from the pass's end.
                        current.Late += threads.Values.Max(t => t.First) - start;
                        current.Tail += start + wall - threads.Values.Min(t => t.First + t.Busy);
                    }
                    current.ThreadPasses += threads.Count;
                    current.Pieces += threads.Values.Sum(t => t.Pieces);
                    current.Passes++;
                }
            }
        }
        finally
        {
            network.LayerProbe = null;
            network.SplitPieceStarting = null;
            SplitPieces.Setting = saved;
            SplitPieces.Tail = savedTail;
        }
        for (int k = 0; k < settings.Count; k++)
        {
            Totals t = totals[k];
            int n = t.Passes;
            var walls = t.Walls.Order().ToList();
            Console.WriteLine(FormattableString.Invariant(
                $"split     pieces={settings[k]}, {n} passes alternating with the other settings: wall mean {walls.Average():F1} ms (median {walls[n / 2]:F1}, min {walls[0]:F1}), process CPU {t.Cpu / n:F1} ms, {(double)t.ThreadPasses / n:F1} threads ran {(double)t.Pieces / n:F1} pieces, idle (threads × wall − time inside pieces) {t.Idle / n:F1} ms: last thread's start {t.Late / n:F2} ms after the pass's, first thread's end {t.Tail / n:F2} ms before it"));
            Console.WriteLine("split     per layer kind, thread CPU ms and thread wall ms per pass summed over the threads:");
            foreach ((string key, (double cpu, double w)) in t.ByKind.OrderByDescending(p => p.Value.Cpu))
            {
                Console.WriteLine(FormattableString.Invariant($"  split   {key,-32} {cpu / n,8:F2} {w / n,8:F2}"));
            }
            Console.WriteLine(FormattableString.Invariant($"  split   {"total",-32} {t.ByKind.Values.Sum(v => v.Cpu) / n,8:F2} {t.ByKind.Values.Sum(v => v.Wall) / n,8:F2}"));
        }
    }
}
