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
        public int Pieces;
    }

    public static void Print(Network network, Func<float[]> engine, int passes)
    {
        var byKind = new Dictionary<string, (double Cpu, double Wall)>(StringComparer.Ordinal);
        var threads = new Dictionary<int, ThreadPass>();
        var gate = new Lock();
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
                (double c, double w) = byKind.GetValueOrDefault(keys[i]);
                byKind[keys[i]] = (c + cpu - t_lastCpu, w + wall - t_lastWall);
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
                    threads[id] = tp = new ThreadPass { PieceStart = wall };
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
        double totalWall = 0, totalCpu = 0, idle = 0;
        int threadPasses = 0, pieces = 0;
        using var process = Process.GetCurrentProcess();
        for (int p = 0; p < passes; p++)
        {
            threads.Clear();
            t_lastCpu = ThreadCpuMs();
            t_lastWall = WallMs();
            process.Refresh();
            TimeSpan cpuStart = process.TotalProcessorTime;
            double start = WallMs();
            engine();
            double wall = WallMs() - start;
            process.Refresh();
            totalWall += wall;
            totalCpu += (process.TotalProcessorTime - cpuStart).TotalMilliseconds;
            int width = Math.Max(1, threads.Count);
            idle += threads.Count == 0 ? 0 : width * wall - threads.Values.Sum(t => t.Busy);
            threadPasses += threads.Count;
            pieces += threads.Values.Sum(t => t.Pieces);
        }
        network.LayerProbe = null;
        network.SplitPieceStarting = null;
        Console.WriteLine(FormattableString.Invariant(
            $"split     engine in pieces, mean of {passes} passes: wall {totalWall / passes:F1} ms, process CPU {totalCpu / passes:F1} ms, {(double)threadPasses / passes:F1} threads ran {(double)pieces / passes:F1} pieces, idle (threads × wall − time inside pieces) {idle / passes:F1} ms"));
        Console.WriteLine("split     per layer kind, thread CPU ms and thread wall ms per pass summed over the threads:");
        foreach ((string key, (double cpu, double w)) in byKind.OrderByDescending(p => p.Value.Cpu))
        {
            Console.WriteLine(FormattableString.Invariant($"  split   {key,-32} {cpu / passes,8:F2} {w / passes,8:F2}"));
        }
        Console.WriteLine(FormattableString.Invariant($"  split   {"total",-32} {byKind.Values.Sum(v => v.Cpu) / passes,8:F2} {byKind.Values.Sum(v => v.Wall) / passes,8:F2}"));
    }
}
