using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-winograd [rounds] [threads]</c>: the ResNet-size 3×3 convolutions of <c>engine bench
/// layers</c> and the smallest the size rule gives to Winograd, forward, backward data and backward filter through the backend's convolution kernel,
/// with Winograd forced off (im2col + own GEMM) and on, alternating call by call in one process; the
/// fastest of <c>rounds</c> calls kept. One thread: timed by the thread's CPU clock; more: wall clock.
/// GFLOP/s count the direct convolution's 2·MACs, as <c>engine bench layers</c> does. A fourth
/// argument names one pass to run alone (<c>BackwardFilter</c>: for profiling one kernel).
/// </summary>
internal static unsafe class QuickWinograd
{
    public static void Run(int rounds, int threads, string? only = null)
    {
        using var backend = new OpenBlasBackend(); // loads OpenBLAS
        WorkerPool.Width = threads;
        bool wall = threads > 1;
        (string Name, ConvolutionLayout Layout)[] layers =
        [
            ("(32,64,56,56)->64@3x3 p1", new(32, 64, 64, 1, ConvolutionAxis.Unit, new(56, 56, 3, 1, 1, 1), new(56, 56, 3, 1, 1, 1))),
            ("(16,128,28,28)->128@3x3 p1", new(16, 128, 128, 1, ConvolutionAxis.Unit, new(28, 28, 3, 1, 1, 1), new(28, 28, 3, 1, 1, 1))),
            // The smallest layers the size rule gives to Winograd: CIFAR ResNet-20's first and last stages.
            ("(32,16,32,32)->16@3x3 p1", new(32, 16, 16, 1, ConvolutionAxis.Unit, new(32, 32, 3, 1, 1, 1), new(32, 32, 3, 1, 1, 1))),
            ("(32,64,8,8)->64@3x3 p1", new(32, 64, 64, 1, ConvolutionAxis.Unit, new(8, 8, 3, 1, 1, 1), new(8, 8, 3, 1, 1, 1))),
        ];
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; {threads} thread(s), "
            + $"{(wall ? "wall clock" : "thread CPU clock")}, minimum of {rounds} calls; tiles per block {WinogradConvolution.TileTarget} (0: by cache size)");
        Console.WriteLine($"{"layer",-28} {"pass",-15} {"im2col ms",10} {"winograd ms",12}   GFLOP/s im2col / winograd");
        var workspace = new ConvolutionWorkspace();
        bool? forced = WinogradConvolution.Forced;
        foreach (var (name, l) in layers)
        {
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), y = QuickConvolution.Fill(ys);
            double flops = 2.0 * l.Batch * l.Filters * l.GroupRows * l.OutputSize;
            var total = new double[2];
            foreach (ConvolutionPass pass in Enum.GetValues<ConvolutionPass>().Where(p => only is null || p.ToString() == only))
            {
                double[] best = [double.MaxValue, double.MaxValue];
                for (int r = 0; r < rounds; r++)
                {
                    for (int v = 0; v < 2; v++)
                    {
                        WinogradConvolution.Forced = v == 1;
                        double start = QuickPacked.Now(wall);
                        ConvolutionKernels.Run(pass, false, l, DataType.Float32, (nint)x, (nint)w, (nint)y, workspace);
                        best[v] = Math.Min(best[v], QuickPacked.Now(wall) - start);
                    }
                }
                total[0] += best[0];
                total[1] += best[1];
                Console.WriteLine(Line(name, pass.ToString(), best, flops));
            }
            Console.WriteLine($"  tile rows per block: {WinogradConvolution.RowsPerBlock((l.Width.Output + 3) / 4, (long)l.Batch * ((l.Height.Output + 3) / 4), l.Channels, l.Filters)}");
            Console.WriteLine(Line(name, "f+b (3 passes)", total, 3 * flops));
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(y);
        }
        WinogradConvolution.Forced = forced;
        workspace.Release();
    }

    private static string Line(string name, string pass, double[] ms, double flops) =>
        string.Create(CultureInfo.InvariantCulture, $"{name,-28} {pass,-15} {ms[0],10:F2} {ms[1],12:F2}   {flops / ms[0] / 1e6:F0} / {flops / ms[1] / 1e6:F0}");
}
