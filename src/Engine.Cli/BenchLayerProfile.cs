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
                output.WriteLine("layers    (per-layer times need a sequential model; skipped)");
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
}
