using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-resnet</c>: the ResNet-size 3×3 convolutions of <c>engine bench layers</c>, each pass
/// (forward, backward data, backward filter) through the backend's convolution kernel on one thread
/// with the large products on OpenBLAS (<see cref="PackedGemm.Bits"/> = 0) and on the own packed
/// GEMM at 512 and 256 bits, alternating in one process, timed by the thread's CPU clock, the
/// fastest of many calls kept; GFLOP/s per core and the share of the one-thread FMA peak measured in
/// the same run.
/// </summary>
internal static unsafe class QuickBigConvolution
{
    public static void Run(int rounds)
    {
        using var backend = new OpenBlasBackend(); // loads OpenBLAS
        WorkerPool.Width = 1;
        int[] widths = [0, 512, 256];
        (string Name, ConvolutionLayout Layout)[] layers =
        [
            ("(32,64,56,56)->64@3x3 p1", new(32, 64, 64, 1, ConvolutionAxis.Unit, new(56, 56, 3, 1, 1, 1), new(56, 56, 3, 1, 1, 1))),
            ("(16,128,28,28)->128@3x3 p1", new(16, 128, 128, 1, ConvolutionAxis.Unit, new(28, 28, 3, 1, 1, 1), new(28, 28, 3, 1, 1, 1))),
        ];
        double peak = 0;
        for (int r = 0; r < Math.Max(3, rounds); r++)
        {
            double start = QuickPacked.Now(false);
            float sink = QuickPacked.FmaChains();
            peak = Math.Max(peak, QuickPacked.FmaChainFlops / (QuickPacked.Now(false) - start) / 1e6 + sink * 0);
        }
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; one thread, thread CPU clock, minimum of {rounds} calls");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one-thread FP32 FMA peak in this run: {peak:F0} GFLOP/s"));
        Console.WriteLine($"{"layer",-28} {"pass",-15} {"OpenBLAS ms",12} {"own 512 ms",12} {"own 256 ms",12}   GFLOP/s (share of peak)");
        var workspace = new ConvolutionWorkspace();
        foreach (var (name, l) in layers)
        {
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), y = QuickConvolution.Fill(ys);
            double flops = 2.0 * l.Batch * l.Filters * l.GroupRows * l.OutputSize;
            var total = new double[widths.Length];
            foreach (ConvolutionPass pass in Enum.GetValues<ConvolutionPass>())
            {
                double[] best = QuickTiming.LeastMilliseconds(rounds, widths.Length, v =>
                {
                    PackedGemm.Bits = widths[v];
                    ConvolutionKernels.Run(pass, false, l, DataType.Float32, (nint)x, (nint)w, (nint)y, workspace);
                });
                for (int v = 0; v < widths.Length; v++)
                {
                    total[v] += best[v];
                }
                Console.WriteLine(Line(name, pass.ToString(), best, flops, peak));
            }
            Console.WriteLine(Line(name, "f+b (3 passes)", total, 3 * flops, peak));
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(y);
        }
        workspace.Release();
    }

    private static string Line(string name, string pass, double[] ms, double flops, double peak) =>
        string.Create(CultureInfo.InvariantCulture, $"{name,-28} {pass,-15} {string.Join(" ", ms.Select(t => $"{t,12:F2}"))}   ")
        + string.Join("  ", ms.Select(t => string.Create(CultureInfo.InvariantCulture, $"{flops / t / 1e6:F0} ({flops / t / 1e6 / peak:P0})")));
}
