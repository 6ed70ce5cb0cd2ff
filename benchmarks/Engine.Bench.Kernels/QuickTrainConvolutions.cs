using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-train-convs [rounds] [threads] [layer|all] [epilogue]</c>: the 3×3 convolutions of a VGG-CIFAR and a CIFAR ResNet-20 training
/// step (batch 128; ResNet-18's at 224×224, batch 16), each pass through the backend's convolution kernel as its rule picks it, and a backward pass also with
/// the kernel under test forced off and on; forward as the rule picks it against the row × filter tile forced on (with the
/// inference batch-norm + ReLU epilogue when <c>epilogue</c> is given) (alternating call by call in one process, the least time of <c>rounds</c> kept).
/// One thread: the thread's CPU clock; more: the wall clock. GFLOP/s count the direct convolution's 2·MACs.
/// </summary>
internal static unsafe class QuickTrainConvolutions
{
    /// <summary>The layers: name and layout (batch 128, 3×3, padding 1).</summary>
    internal static readonly (string Name, ConvolutionLayout Layout)[] Layers =
    [
        ("vgg 3->32 32x32", Layer(3, 32, 32, 1)),
        ("vgg 32->32 32x32", Layer(32, 32, 32, 1)),
        ("vgg 32->64 16x16", Layer(32, 64, 16, 1)),
        ("vgg 64->64 16x16", Layer(64, 64, 16, 1)),
        ("vgg 64->128 8x8", Layer(64, 128, 8, 1)),
        ("vgg 128->128 8x8", Layer(128, 128, 8, 1)),
        ("r20 16->16 32x32", Layer(16, 16, 32, 1)),
        ("r20 16->32 s2 16x16", Layer(16, 32, 16, 2)),
        ("r20 32->32 16x16", Layer(32, 32, 16, 1)),
        ("r20 32->64 s2 8x8", Layer(32, 64, 8, 2)),
        ("r20 64->64 8x8", Layer(64, 64, 8, 1)),
        ("r18 64->64 56x56 b16", Layer(64, 64, 56, 1, 16)),
        ("r18 128->128 28x28 b16", Layer(128, 128, 28, 1, 16)),
    ];

    private static ConvolutionLayout Layer(int channels, int filters, int output, int stride, int batch = 128) =>
        new(batch, channels, filters, 1, ConvolutionAxis.Unit, new(stride * output, output, 3, stride, 1, 1), new(stride * output, output, 3, stride, 1, 1));

    public static void Run(int rounds, int threads, string? only, bool epilogue)
    {
        using var backend = new OpenBlasBackend(); // loads OpenBLAS
        WorkerPool.Width = threads;
        bool wall = threads > 1;
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; {threads} thread(s), "
            + $"{(wall ? "wall clock" : "thread CPU clock")}, least of {rounds} calls; batch 128");
        Console.WriteLine($"{"layer",-22} {"pass",-14} {"before ms",10} {"after ms",10}   GFLOP/s before / after");
        var workspace = new ConvolutionWorkspace();
        double[] sum = new double[2];
        foreach (var (name, l) in Layers.Where(x => only is null or "all" || x.Name.Contains(only, StringComparison.Ordinal)))
        {
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), y = QuickConvolution.Fill(ys);
            float* scale = QuickConvolution.Fill(l.Filters), shift = QuickConvolution.Fill(l.Filters);
            double flops = 2.0 * l.Batch * l.Filters * l.GroupRows * l.OutputSize;
            foreach (ConvolutionPass pass in Enum.GetValues<ConvolutionPass>())
            {
                double[] best = QuickTiming.LeastMilliseconds(rounds, 2, v =>
                {
                    Switch(pass, v == 1);
                    ConvolutionKernels.Run(pass, false, l, DataType.Float32, (nint)x, (nint)w, (nint)y, workspace,
                        pass == ConvolutionPass.Forward && epilogue ? new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0) : default);
                    Switch(pass, null);
                }, wall);
                sum[0] += best[0];
                sum[1] += best[1];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-22} {pass,-14} {best[0],10:F2} {best[1],10:F2}   {flops / best[0] / 1e6:F0} / {flops / best[1] / 1e6:F0}"));
            }
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(y);
            NativeMemory.AlignedFree(scale);
            NativeMemory.AlignedFree(shift);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"all",-22} {"all passes",-14} {sum[0],10:F2} {sum[1],10:F2}"));
        workspace.Release();
    }

    /// <summary>The kernel under test per pass: off (before), on (after), or back to its rule (null).</summary>
    private static void Switch(ConvolutionPass pass, bool? on)
    {
        if (pass == ConvolutionPass.Forward)
        {
            RowFilterConvolution.Forced = on == false ? true : null;
        }
        if (pass == ConvolutionPass.BackwardData)
        {
            RowFilterConvolution.BackwardDataForced = on is null ? null : on == true ? null : false;
        }
        else if (pass == ConvolutionPass.BackwardFilter)
        {
            RowFilterConvolution.FilterGradientForced = on is null ? null : on == true ? null : false;
        }
    }
}
