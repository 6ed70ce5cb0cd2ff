using System.Globalization;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-conv-forward [rounds [case text]]</c>: <see cref="ConvolutionForwardRuleBenchmarks"/>' variants (before, the
/// padded kernel's cache rule, that and the bias epilogue) on the three <c>engine bench layers</c> convolution forwards that
/// were behind PyTorch, alternating in one process, the fastest of many calls kept. One thread: its CPU clock; more
/// (<c>OPENBLAS_NUM_THREADS</c>): the wall clock.
/// </summary>
internal static class QuickConvForward
{
    public static void Run(int rounds, string? only = null)
    {
        var bench = new ConvolutionForwardRuleBenchmarks();
        (string Name, Action Call)[] variants = [("before", bench.Before), ("cache rule", bench.CacheRule), ("chosen (+ bias epilogue)", bench.Chosen)];
        bool first = true;
        foreach (ConvolutionVariantBenchmarks.Layer layer in ConvolutionForwardRuleBenchmarks.Layers().Where(c => only is null || c.Name.Contains(only, StringComparison.Ordinal)))
        {
            bench.Case = layer;
            bench.Setup();
            bool wall = WorkerPool.Width > 1;
            if (first)
            {
                Console.WriteLine($"pool width {WorkerPool.Width}; microseconds per forward pass with its bias ({(wall ? "wall" : "thread CPU")} clock), minimum of {rounds} calls");
                first = false;
            }
            double[] best = [.. QuickTiming.LeastMilliseconds(rounds, variants.Length, v => variants[v].Call(), wall).Select(ms => ms * 1e3)];
            bench.Cleanup();
            ConvolutionLayout l = layer.Layout;
            double flops = 2.0 * l.Batch * l.Filters * l.OutputSize * l.ColumnRows;
            Console.WriteLine(layer.Name);
            for (int v = 0; v < variants.Length; v++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {variants[v].Name,-26} {best[v],9:F1} us {flops / best[v] / 1e3,7:F1} GFLOP/s  {best[0] / best[v],5:F2}x"));
            }
        }
    }
}
