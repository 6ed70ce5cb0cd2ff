using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-backward [rounds] [threads] [columns]</c>: the backward passes (data, filter) of every convolution of
/// CIFAR ResNet-20, VGG-CIFAR (batch 128) and ResNet-18 at 224×224 (batch 16) whose output planes are
/// small enough for training's grouped products (ConvolutionKernels.BatchedBackward.cs), grouped and
/// per sample (<c>ENGINE_BATCHED_CONV_BACKWARD=off</c>), alternating call by call in one process; the
/// fastest of <c>rounds</c> calls kept. One thread: the thread's CPU clock (what a loaded machine cannot
/// inflate); more: wall clock. <c>columns</c> sets the grouped products' width (default: the backend's). Also checks that both give the same bits.
/// </summary>
internal static unsafe class QuickBatchedBackward
{
    public static void Run(int rounds, int threads, int columns)
    {
        int savedColumns = ConvolutionKernels.BatchedBackwardColumns;
        if (columns > 0)
        {
            ConvolutionKernels.BatchedBackwardColumns = columns;
        }
        using var backend = new OpenBlasBackend(); // loads OpenBLAS
        WorkerPool.Width = threads;
        bool wall = threads > 1;
        bool? saved = ConvolutionKernels.BatchedBackwardForced;
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; {threads} thread(s), "
            + $"{(wall ? "wall clock" : "thread CPU clock")}, minimum of {rounds} calls, grouped products {ConvolutionKernels.BatchedBackwardColumns} columns; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"{"model",-10} {"x",2} {"layer",-30} {"pass",-7} {"samples",7} {"per-sample ms",13} {"grouped ms",10} {"speed-up",8}  bits");
        var workspace = new ConvolutionWorkspace();
        var totals = new Dictionary<string, double[]>();
        foreach (var (model, count, l) in QuickInference.Layers())
        {
            foreach (ConvolutionPass pass in new[] { ConvolutionPass.BackwardData, ConvolutionPass.BackwardFilter })
            {
                ConvolutionKernels.BatchedBackwardForced = null;
                int together = ConvolutionKernels.SamplesPerBackwardProduct<float>(pass, l);
                if (together < 2)
                {
                    continue;
                }
                long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
                float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), dy = QuickConvolution.Fill(ys);
                long outputs = pass == ConvolutionPass.BackwardData ? xs : ws;
                float*[] result = [QuickConvolution.Fill(outputs), QuickConvolution.Fill(outputs)];
                double[] best = [double.MaxValue, double.MaxValue];
                for (int r = 0; r < rounds; r++)
                {
                    for (int v = 0; v < 2; v++)
                    {
                        ConvolutionKernels.BatchedBackwardForced = v == 0 ? false : null;
                        double start = QuickPacked.Now(wall);
                        if (pass == ConvolutionPass.BackwardData)
                        {
                            ConvolutionKernels.Run(pass, false, l, DataType.Float32, (nint)result[v], (nint)w, (nint)dy, workspace);
                        }
                        else
                        {
                            ConvolutionKernels.Run(pass, false, l, DataType.Float32, (nint)x, (nint)result[v], (nint)dy, workspace);
                        }
                        best[v] = Math.Min(best[v], QuickPacked.Now(wall) - start);
                    }
                }
                bool same = new Span<float>(result[0], (int)outputs).SequenceEqual(new Span<float>(result[1], (int)outputs));
                double[] sum = totals.TryGetValue(model, out double[]? t) ? t : totals[model] = new double[2];
                sum[0] += count * best[0];
                sum[1] += count * best[1];
                string name = $"({l.Batch},{l.Channels},{l.Height.Input},{l.Width.Input})->{l.Filters}@{l.Height.Kernel}s{l.Height.Stride}";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{model,-10} {count,2} {name,-30} {(pass == ConvolutionPass.BackwardData ? "data" : "filter"),-7} {together,7} {best[0],13:F2} {best[1],10:F2} {best[0] / best[1],7:F2}x  {(same ? "same" : "DIFFER")}"));
                foreach (float* p in new[] { x, w, dy, result[0], result[1] })
                {
                    NativeMemory.AlignedFree(p);
                }
            }
        }
        foreach (var (model, sum) in totals)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model,-10} these passes, weighted by count: per sample {sum[0]:F1} ms, grouped {sum[1]:F1} ms ({sum[0] / sum[1]:F2}x)"));
        }
        ConvolutionKernels.BatchedBackwardForced = saved;
        ConvolutionKernels.BatchedBackwardColumns = savedColumns;
        workspace.Release();
    }
}
