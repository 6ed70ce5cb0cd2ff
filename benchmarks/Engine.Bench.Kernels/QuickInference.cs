using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-infer [rounds] [threads] [model] [columns]</c>: every distinct convolution of the inference pass of
/// CIFAR ResNet-20 (batch 128), ResNet-18 at 224×224 (batch 16) and VGG-CIFAR (batch 128), forward with
/// a batch-norm + ReLU epilogue as fused inference runs it, through the backend's convolution kernel: as
/// before the small-output path (Winograd's earlier forward rule, no <see cref="BatchedConvolution"/>),
/// the default now, batching wherever it fits, and plain im2col, alternating call by call in one process; the fastest of <c>rounds</c> calls kept. One thread: timed by the thread's CPU clock
/// (what a loaded machine cannot inflate); more: wall clock. The per-model total weights each layer by how
/// often the model runs it.
/// </summary>
internal static unsafe class QuickInference
{
    private static ConvolutionAxis Axis(int input, int kernel, int stride, int pad) =>
        new(input, (input + 2 * pad - kernel) / stride + 1, kernel, stride, pad, 1);

    private static ConvolutionLayout Conv(int batch, int channels, int size, int filters, int kernel, int stride, int pad) =>
        new(batch, channels, filters, 1, ConvolutionAxis.Unit, Axis(size, kernel, stride, pad), Axis(size, kernel, stride, pad));

    /// <summary>The models' convolutions: (model, times per pass, layout).</summary>
    internal static (string Model, int Count, ConvolutionLayout Layout)[] Layers() =>
    [
        ("resnet20", 1, Conv(128, 3, 32, 16, 3, 1, 1)),
        ("resnet20", 6, Conv(128, 16, 32, 16, 3, 1, 1)),
        ("resnet20", 1, Conv(128, 16, 32, 32, 3, 2, 1)),
        ("resnet20", 5, Conv(128, 32, 16, 32, 3, 1, 1)),
        ("resnet20", 1, Conv(128, 32, 16, 64, 3, 2, 1)),
        ("resnet20", 5, Conv(128, 64, 8, 64, 3, 1, 1)),
        ("resnet18", 1, Conv(16, 3, 224, 64, 7, 2, 3)),
        ("resnet18", 4, Conv(16, 64, 56, 64, 3, 1, 1)),
        ("resnet18", 1, Conv(16, 64, 56, 128, 3, 2, 1)),
        ("resnet18", 1, Conv(16, 64, 56, 128, 1, 2, 0)),
        ("resnet18", 3, Conv(16, 128, 28, 128, 3, 1, 1)),
        ("resnet18", 1, Conv(16, 128, 28, 256, 3, 2, 1)),
        ("resnet18", 1, Conv(16, 128, 28, 256, 1, 2, 0)),
        ("resnet18", 3, Conv(16, 256, 14, 256, 3, 1, 1)),
        ("resnet18", 1, Conv(16, 256, 14, 512, 3, 2, 1)),
        ("resnet18", 1, Conv(16, 256, 14, 512, 1, 2, 0)),
        ("resnet18", 3, Conv(16, 512, 7, 512, 3, 1, 1)),
        ("vgg-cifar", 1, Conv(128, 3, 32, 32, 3, 1, 1)),
        ("vgg-cifar", 1, Conv(128, 32, 32, 32, 3, 1, 1)),
        ("vgg-cifar", 1, Conv(128, 32, 16, 64, 3, 1, 1)),
        ("vgg-cifar", 1, Conv(128, 64, 16, 64, 3, 1, 1)),
        ("vgg-cifar", 1, Conv(128, 64, 8, 128, 3, 1, 1)),
        ("vgg-cifar", 1, Conv(128, 128, 8, 128, 3, 1, 1)),
    ];

    public static void Run(int rounds, int threads, string? only, int targetColumns)
    {
        int target = BatchedConvolution.TargetColumns;
        if (targetColumns > 0)
        {
            BatchedConvolution.TargetColumns = targetColumns; // [columns]: the batched products' width, to tune it
        }
        using var backend = new OpenBlasBackend(); // loads OpenBLAS
        WorkerPool.Width = threads;
        bool wall = threads > 1;
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; {threads} thread(s), "
            + $"{(wall ? "wall clock" : "thread CPU clock")}, minimum of {rounds} calls, batched products {BatchedConvolution.TargetColumns} columns; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        // Variants (Winograd forced, batched forced): before this path (Winograd's earlier forward rule: 16 channels in
        // and out, planes of 16×16 and up; no batching), the default now, batching wherever it fits instead of Winograd,
        // and plain im2col (both off). null: the size rule decides.
        // The fifth: the padded direct kernel wherever it fits (PaddedDirectConvolution) with its position tile, the others with it off;
        // the sixth: the same with the filter-block tile (FilterBlockConvolution). Only the default lets the filter-block rule decide.
        (bool? Winograd, bool? Batched, bool? Direct, bool? Blocks)[] variants =
            [(true, false, false, false), (null, null, null, null), (false, true, false, false), (false, false, false, false), (false, false, true, false), (false, false, true, true)];
        Console.WriteLine($"{"model",-10} {"x",2} {"layer",-30} {"before",9} {"default",9} {"batched",9} {"im2col",9} {"direct",9} {"blocks",9}   GFLOP/s of each; default==im2col, direct==im2col, blocks==im2col");
        var workspace = new ConvolutionWorkspace();
        bool? forced = BatchedConvolution.Forced, winograd = WinogradConvolution.Forced, direct = PaddedDirectConvolution.Forced, blocks = FilterBlockConvolution.Forced;
        var totals = new Dictionary<string, double[]>();
        foreach (var (model, count, l) in Layers())
        {
            if (only is not null && model != only)
            {
                continue;
            }
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), scale = QuickConvolution.Fill(l.Filters), shift = QuickConvolution.Fill(l.Filters);
            float*[] y = new float*[variants.Length];
            for (int v = 0; v < y.Length; v++)
            {
                y[v] = QuickConvolution.Fill(ys);
            }
            var epilogue = new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0);
            double flops = 2.0 * l.Batch * l.Filters * l.GroupRows * l.OutputSize;
            double[] best = [.. variants.Select(_ => double.MaxValue)];
            for (int r = 0; r < rounds; r++)
            {
                for (int v = 0; v < variants.Length; v++)
                {
                    (WinogradConvolution.Forced, BatchedConvolution.Forced, PaddedDirectConvolution.Forced, FilterBlockConvolution.Forced) = variants[v];
                    if (v == 0)
                    {
                        WinogradConvolution.Forced = l.Channels >= 16 && l.Filters >= 16 && l.Height.Output >= 16 && l.Width.Output >= 16;
                    }
                    double start = QuickPacked.Now(wall);
                    ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)x, (nint)w, (nint)y[v], workspace, epilogue);
                    best[v] = Math.Min(best[v], QuickPacked.Now(wall) - start);
                }
            }
            bool same = new Span<float>(y[1], (int)ys).SequenceEqual(new Span<float>(y[3], (int)ys));
            bool directSame = new Span<float>(y[4], (int)ys).SequenceEqual(new Span<float>(y[3], (int)ys));
            bool blocksSame = new Span<float>(y[5], (int)ys).SequenceEqual(new Span<float>(y[3], (int)ys));
            double[] sum = totals.TryGetValue(model, out double[]? t) ? t : totals[model] = new double[variants.Length];
            for (int v = 0; v < variants.Length; v++)
            {
                sum[v] += count * best[v];
            }
            string name = $"({l.Batch},{l.Channels},{l.Height.Input},{l.Width.Input})->{l.Filters}@{l.Height.Kernel}s{l.Height.Stride}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{model,-10} {count,2} {name,-30} {best[0],9:F2} {best[1],9:F2} {best[2],9:F2} {best[3],9:F2} {best[4],9:F2} {best[5],9:F2}   {string.Join(" / ", best.Select(b => (flops / b / 1e6).ToString("F0", CultureInfo.InvariantCulture)))}  {(same ? "same" : "differs")}, {(directSame ? "same" : "differs")}, {(blocksSame ? "same" : "differs")}"));
            foreach (float* p in new[] { x, w, scale, shift })
            {
                NativeMemory.AlignedFree(p);
            }
            foreach (float* p in y)
            {
                NativeMemory.AlignedFree(p);
            }
        }
        foreach (var (model, sum) in totals)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model,-10} all convolutions: before {sum[0]:F1} ms, default {sum[1]:F1} ms ({sum[0] / sum[1]:F2}x), batched everywhere {sum[2]:F1} ms, im2col {sum[3]:F1} ms, direct where it fits {sum[4]:F1} ms, with filter blocks {sum[5]:F1} ms"));
        }
        (WinogradConvolution.Forced, BatchedConvolution.Forced, PaddedDirectConvolution.Forced, FilterBlockConvolution.Forced) = (winograd, forced, direct, blocks);
        BatchedConvolution.TargetColumns = target;
        workspace.Release();
    }
}
