using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-lenet-forward</c>: LeNet-5's two forward convolutions at inference batch 256 with the fused
/// bias + ReLU epilogue, each variant alternating in one process, the fastest of many calls kept:
/// conv1 with the epilogue as a separate pass then in registers (<see cref="DirectConvolution.EpilogueInKernel"/>),
/// conv2 on the positions-along-the-vector kernel then with the filters along the vector
/// (<see cref="FilterVectorConvolution"/>). One thread: its CPU clock; more: the wall clock.
/// </summary>
internal static unsafe class QuickLenetForward
{
    public static void Run(int rounds)
    {
        using var backend = new OpenBlasBackend(); // loads OpenBLAS, sizes the pool
        bool wall = WorkerPool.Width > 1;
        Console.WriteLine($"pool width {WorkerPool.Width}; microseconds per forward pass ({(wall ? "wall" : "thread CPU")} clock), minimum of {rounds} calls: before, after");
        var workspace = new ConvolutionWorkspace();
        (string Name, ConvolutionLayout Layout, Action<bool> Variant)[] layers =
        [
            ("conv1 (256,1,28,28)->6@5x5 p2 +bias+ReLU", new(256, 1, 6, 1, ConvolutionAxis.Unit, new(28, 28, 5, 1, 2, 1), new(28, 28, 5, 1, 2, 1)),
                after => DirectConvolution.EpilogueInKernel = after),
            ("conv2 (256,6,14,14)->16@5x5 +bias+ReLU", new(256, 6, 16, 1, ConvolutionAxis.Unit, new(14, 10, 5, 1, 0, 1), new(14, 10, 5, 1, 0, 1)),
                after => FilterVectorConvolution.Enabled = after),
        ];
        foreach (var (name, l, variant) in layers)
        {
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), y = QuickConvolution.Fill(ys);
            float* scale = QuickConvolution.Fill(l.Filters), shift = QuickConvolution.Fill(l.Filters);
            var epilogue = new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0);
            double[] best = [double.MaxValue, double.MaxValue];
            for (int r = 0; r < rounds; r++)
            {
                for (int v = 0; v < 2; v++)
                {
                    variant(v == 1);
                    double start = QuickPacked.Now(wall);
                    ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)x, (nint)w, (nint)y, workspace, epilogue);
                    best[v] = Math.Min(best[v], (QuickPacked.Now(wall) - start) * 1e3);
                }
            }
            variant(true);
            double flops = 2.0 * l.Batch * l.Filters * l.OutputSize * l.ColumnRows;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-42} {best[0],8:F1} {best[1],8:F1}   {flops / best[0] / 1e3,5:F1} -> {flops / best[1] / 1e3,5:F1} GFLOP/s  ({best[0] / best[1]:F2}x)"));
            foreach (float* p in new[] { x, w, y, scale, shift })
            {
                NativeMemory.AlignedFree(p);
            }
        }
        workspace.Release();
    }
}
