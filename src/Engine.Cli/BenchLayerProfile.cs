using System.Diagnostics;
using Engine.Core;

namespace Engine.Cli;

/// <summary>
/// Where a training step's time goes: the layers of a sequential network are driven one by one (as
/// <see cref="Network.Forward"/> and <see cref="Network.Backward"/> would) with a clock around each
/// call, plus the loss and the optimiser step. The backend is synchronised after each call so an
/// asynchronous backend charges its work to the right layer.
/// </summary>
internal static class BenchLayerProfile
{
    public static void Print(Network network, ILoss loss, IOptimizer optimizer, BenchBatches batches, int steps, TextWriter output)
    {
        IReadOnlyList<ILayer> layers = network.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            if (network.Inputs[i] is not [int source] || source != i - 1)
            {
                PrintByKind(network, loss, optimizer, batches, steps, output);
                return;
            }
        }
        IBackend backend = network.Backend;
        var forward = new double[layers.Count];
        var backward = new double[layers.Count];
        double lossTime = 0, updateTime = 0;
        var clock = new Stopwatch();
        double Lap()
        {
            backend.Synchronize();
            double ms = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            return ms;
        }
        for (int s = 0; s < steps; s++)
        {
            var (x, t) = batches[s];
            clock.Restart();
            for (int i = 0; i < layers.Count; i++)
            {
                x = layers[i].Forward(x, training: true);
                forward[i] += Lap();
            }
            LossOutput l = loss.Compute(x, t);
            lossTime += Lap();
            Tensor g = l.Gradient;
            for (int i = layers.Count - 1; i >= 0; i--)
            {
                g = layers[i].Backward(g);
                backward[i] += Lap();
            }
            optimizer.Step(network.Parameters);
            updateTime += Lap();
        }
        output.WriteLine($"layers    mean ms per step over {steps} steps");
        output.WriteLine($"  {"layer",-12} {"output",-16} {"forward",9} {"backward",9}");
        for (int i = 0; i < layers.Count; i++)
        {
            output.WriteLine(FormattableString.Invariant($"  {layers[i].Kind,-12} {network.OutputShapes[i].ToString(),-16} {forward[i] / steps,9:F3} {backward[i] / steps,9:F3}"));
        }
        output.WriteLine(FormattableString.Invariant($"  {"loss",-12} {"",-16} {lossTime / steps,9:F3}"));
        output.WriteLine(FormattableString.Invariant($"  {"sgd update",-12} {"",-16} {updateTime / steps,9:F3}"));
        output.WriteLine(FormattableString.Invariant($"  {"total",-12} {"",-16} {(forward.Sum() + lossTime + updateTime) / steps,9:F3} {backward.Sum() / steps,9:F3}"));
    }

    /// <summary>
    /// A graph (a ResNet's joins) is driven through <see cref="Network.Forward"/> and
    /// <see cref="Network.Backward(Tensor)"/> with a clock lap at every layer's end
    /// (<see cref="Network.LayerForwardDone"/>, <see cref="Network.LayerBackwardDone"/>), summed per
    /// layer kind: the network's own work between layers (summing a branch's gradients) is charged
    /// to the layer that ends next. Each lap reads the wall clock and, on Linux, the process's CPU
    /// time (all threads), which a loaded machine inflates far less than the wall clock.
    /// </summary>
    private static void PrintByKind(Network network, ILoss loss, IOptimizer optimizer, BenchBatches batches, int steps, TextWriter output)
    {
        IReadOnlyList<ILayer> layers = network.Layers;
        IBackend backend = network.Backend;
        // Per layer: forward wall, backward wall, forward CPU, backward CPU (ms); last row: loss and update.
        var times = new double[layers.Count + 2, 4];
        var clock = new Stopwatch();
        double cpuMark = 0;
        void Lap(int row, int column)
        {
            backend.Synchronize();
            double cpu = ProcessCpuMilliseconds();
            times[row, column] += clock.Elapsed.TotalMilliseconds;
            times[row, column + 2] += cpu - cpuMark;
            cpuMark = cpu;
            clock.Restart();
        }
        Action<int>? oldForward = network.LayerForwardDone, oldBackward = network.LayerBackwardDone;
        network.LayerForwardDone = i => Lap(i, 0);
        network.LayerBackwardDone = i => Lap(i, 1);
        int lossRow = layers.Count, updateRow = layers.Count + 1;
        try
        {
            for (int s = 0; s < steps; s++)
            {
                var (x, t) = batches[s];
                cpuMark = ProcessCpuMilliseconds();
                clock.Restart();
                Tensor y = network.Forward(x, training: true);
                LossOutput l = loss.Compute(y, t);
                Lap(lossRow, 0);
                network.Backward(l.Gradient);
                optimizer.Step(network.Parameters);
                Lap(updateRow, 0);
            }
        }
        finally
        {
            network.LayerForwardDone = oldForward;
            network.LayerBackwardDone = oldBackward;
        }
        double Sum(IEnumerable<int> rows, int column) => rows.Sum(i => times[i, column]) / steps;
        int[] all = Enumerable.Range(0, layers.Count + 2).ToArray();
        double wallTotal = Sum(all, 0) + Sum(all, 1), cpuTotal = Sum(all, 2) + Sum(all, 3);
        output.WriteLine($"layers    mean ms per step over {steps} steps, summed per layer kind (the graph is not sequential); wall clock and process CPU time (all threads)");
        output.WriteLine($"  {"kind",-16} {"count",5} {"fwd wall",9} {"bwd wall",9} {"share",6} {"fwd cpu",9} {"bwd cpu",9} {"share",6}");
        void Row(string name, string count, int[] rows)
        {
            double fw = Sum(rows, 0), bw = Sum(rows, 1), fc = Sum(rows, 2), bc = Sum(rows, 3);
            output.WriteLine(FormattableString.Invariant(
                $"  {name,-16} {count,5} {fw,9:F3} {bw,9:F3} {100 * (fw + bw) / wallTotal,5:F1}% {fc,9:F3} {bc,9:F3} {100 * (fc + bc) / cpuTotal,5:F1}%"));
        }
        foreach (string kind in layers.Select(l => l.Kind).Distinct())
        {
            int[] members = Enumerable.Range(0, layers.Count).Where(i => layers[i].Kind == kind).ToArray();
            Row(kind, members.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), members);
        }
        // The loss row's backward-free lap covers the loss (and the end of forward); the update row's the optimiser step.
        Row("loss", "", [lossRow]);
        Row("sgd update", "", [updateRow]);
        Row("total", "", all);
    }

    /// <summary>CPU time of the whole process so far (all threads), in ms.</summary>
    private static double ProcessCpuMilliseconds() => Environment.CpuUsage.TotalTime.TotalMilliseconds;
}
