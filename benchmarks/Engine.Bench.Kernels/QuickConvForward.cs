using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-conv-forward [rounds [case text]]</c>: the three <c>engine bench layers</c> convolution forwards that were behind
/// PyTorch (LeNet-5's conv2, the 3-channel 32×32 first layer, the 128-channel 28×28 layer), no epilogue, each
/// variant alternating with the others in one process, the fastest of many calls kept. One thread: its CPU
/// clock; more (<c>OPENBLAS_NUM_THREADS</c>): the wall clock.
/// </summary>
internal static unsafe class QuickConvForward
{
    public static void Run(int rounds, string? only = null)
    {
        using var backend = new OpenBlasBackend(); // loads OpenBLAS, sizes the pool
        bool wall = WorkerPool.Width > 1;
        Console.WriteLine($"pool width {WorkerPool.Width}; microseconds per forward pass ({(wall ? "wall" : "thread CPU")} clock), minimum of {rounds} calls");
        var workspace = new ConvolutionWorkspace();
        foreach (var (name, l, variants) in Cases().Where(c => only is null || c.Name.Contains(only, StringComparison.Ordinal)))
        {
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), y = QuickConvolution.Fill(ys);
            var best = new double[variants.Length];
            Array.Fill(best, double.MaxValue);
            for (int r = 0; r < rounds; r++)
            {
                for (int v = 0; v < variants.Length; v++)
                {
                    variants[v].Set(true);
                    double start = QuickPacked.Now(wall);
                    ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)x, (nint)w, (nint)y, workspace);
                    best[v] = Math.Min(best[v], (QuickPacked.Now(wall) - start) * 1e3);
                    variants[v].Set(false);
                }
            }
            double flops = 2.0 * l.Batch * l.Filters * l.OutputSize * l.ColumnRows;
            Console.WriteLine(name);
            for (int v = 0; v < variants.Length; v++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {variants[v].Name,-34} {best[v],9:F1} us {flops / best[v] / 1e3,7:F1} GFLOP/s"));
            }
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(y);
        }
        workspace.Release();
    }

    private static ConvolutionAxis Axis(int input, int kernel, int pad) => new(input, input + 2 * pad - kernel + 1, kernel, 1, pad, 1);

    private static ConvolutionLayout Layout(int batch, int channels, int filters, int size, int kernel, int pad) =>
        new(batch, channels, filters, 1, ConvolutionAxis.Unit, Axis(size, kernel, pad), Axis(size, kernel, pad));

    /// <summary>Each case with its variants: a setter that turns the variant on (true) and back to the defaults (false).</summary>
    private static (string Name, ConvolutionLayout Layout, (string Name, Action<bool> Set)[] Variants)[] Cases() =>
    [
        ("conv (64,6,14,14)->16@5x5 s1 p0", Layout(64, 6, 16, 14, 5, 0),
        [
            ("chosen", _ => { }),
            ("filters along the vector off", on => FilterVectorConvolution.Enabled = !on),
        ]),
        ("conv (32,3,32,32)->32@3x3 s1 p1", Layout(32, 3, 32, 32, 3, 1),
        [
            ("chosen", _ => { }),
        ]),
        ("conv (16,128,28,28)->128@3x3 s1 p1", Layout(16, 128, 128, 28, 3, 1),
        [
            ("chosen", _ => { }),
            ("padded direct's L2 rule off (before)", on => PaddedDirectConvolution.CacheRule = !on),
        ]),
    ];
}
