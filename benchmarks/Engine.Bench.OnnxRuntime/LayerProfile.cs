using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Engine;
using Engine.Core;
using Microsoft.ML.OnnxRuntime;

/// <summary>
/// <c>--profile N</c>: where one inference pass's time goes, the engine's layers against ONNX Runtime's
/// nodes, N passes each after the timed rounds. The engine: the process's CPU time between
/// consecutive layer ends (<see cref="Network.LayerForwardDone"/>; a fused layer's time is charged to the
/// producer that computed it), beside the wall time between the same layer ends; with two threads, CPU / wall
/// says how much of a layer both threads were busy (2: all of it; 1: it ran on one). ORT: its own
/// profile (<see cref="SessionOptions.EnableProfiling"/>) of a one-thread session, node durations summed
/// per operator. Both are totalled by kind and output channels × plane, largest first.
/// </summary>
internal static class LayerProfile
{
    // The process's CPU time (getrusage): with one thread for the engine, that thread's time plus the runtime's own background work.
    private static double CpuMs() => Environment.CpuUsage.TotalTime.TotalMilliseconds;

    private static double WallMs() => Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;

    public static void Print(Network network, Func<float[]> engine, string model, float[] input, int[] shape, int passes)
    {
        var byKind = new Dictionary<string, (double Cpu, double Wall)>(StringComparer.Ordinal);
        double last = 0, lastWall = 0;
        network.LayerForwardDone = i =>
        {
            double now = CpuMs(), wall = WallMs();
            Shape s = network.OutputShapes[i];
            string key = $"{network.Layers[i].Kind} {(s.Rank == 3 ? $"{s[0]}x{s[1]}x{s[2]}" : s.ToString())}";
            (double cpu, double w) = byKind.GetValueOrDefault(key);
            byKind[key] = (cpu + now - last, w + wall - lastWall);
            last = now;
            lastWall = wall;
        };
        double total = 0, totalWall = 0;
        for (int p = 0; p < passes; p++)
        {
            last = CpuMs();
            lastWall = WallMs();
            double start = last, startWall = lastWall;
            engine();
            total += CpuMs() - start;
            totalWall += WallMs() - startWall;
        }
        network.LayerForwardDone = null;
        Console.WriteLine(FormattableString.Invariant($"profile   engine, process CPU ms and wall ms per pass (mean of {passes}), by layer kind and output C×H×W; whole pass {total / passes:F1} CPU, {totalWall / passes:F1} wall"));
        foreach ((string key, (double cpu, double wall)) in byKind.OrderByDescending(p => p.Value.Cpu).Take(25))
        {
            Console.WriteLine(FormattableString.Invariant($"  engine  {key,-32} {cpu / passes,8:F2} {wall / passes,8:F2}"));
        }

        string prefix = Path.Combine(Path.GetTempPath(), $"ort-profile-{Environment.ProcessId}");
        using var options = new SessionOptions { IntraOpNumThreads = 1, EnableProfiling = true, ProfileOutputPathPrefix = prefix, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(input, shape.Select(d => (long)d).ToArray());
        string[] inputs = [session.InputMetadata.Keys.Single()], outputs = [session.OutputMetadata.Keys.Single()];
        using var run = new RunOptions();
        for (int p = 0; p < passes + 2; p++)
        {
            using IDisposableReadOnlyCollection<OrtValue> _ = session.Run(run, inputs, [value], outputs);
        }
        string file = session.EndProfiling();
        var byOp = new Dictionary<string, double>(StringComparer.Ordinal);
        double ortTotal = 0;
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file)))
        {
            foreach (JsonElement e in doc.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString() is string name && name.EndsWith("_kernel_time", StringComparison.Ordinal)
                    && e.TryGetProperty("args", out JsonElement args) && args.TryGetProperty("op_name", out JsonElement op))
                {
                    string outShape = args.TryGetProperty("output_type_shape", out JsonElement o) ? OutputShape(o) : "";
                    string key = $"{op.GetString()} {outShape}";
                    double ms = e.GetProperty("dur").GetDouble() / 1e3;
                    byOp[key] = byOp.GetValueOrDefault(key) + ms;
                    ortTotal += ms;
                }
            }
        }
        File.Delete(file);
        int runs = passes + 2;
        Console.WriteLine(FormattableString.Invariant($"profile   ORT 1 thread, node wall ms per pass (mean of {runs}), by operator and output C×H×W; nodes total {ortTotal / runs:F1}"));
        foreach ((string key, double ms) in byOp.OrderByDescending(p => p.Value).Take(25))
        {
            Console.WriteLine(FormattableString.Invariant($"  ORT     {key,-32} {ms / runs,8:F2}"));
        }
    }

    // [{"float":[16,64,56,56]}] → 64x56x56
    private static string OutputShape(JsonElement shapes)
    {
        foreach (JsonElement entry in shapes.EnumerateArray())
        {
            foreach (JsonProperty p in entry.EnumerateObject())
            {
                int[] dims = p.Value.EnumerateArray().Select(d => d.GetInt32()).ToArray();
                return dims.Length == 4 ? string.Create(CultureInfo.InvariantCulture, $"{dims[1]}x{dims[2]}x{dims[3]}") : $"({string.Join(",", dims.Skip(1))})";
            }
        }
        return "";
    }
}
