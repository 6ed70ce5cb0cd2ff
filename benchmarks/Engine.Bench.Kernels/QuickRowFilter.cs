using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-rowfv [rounds] [case|all] [threads] [prefetch]</c>: the row × filter 3×3 kernel (<see cref="RowFilterConvolution"/>, padding taps
/// skipped) against the current rule without it (<c>ENGINE_ROW_FILTER_CONV=off</c>: the padded kernel's position tile) on every
/// CIFAR ResNet-20 and VGG-CIFAR 3×3 layer of <see cref="QuickPadded.Layers"/> (batch 128, batch-norm + ReLU epilogue),
/// alternating call by call in one process; the fastest of <c>rounds</c> calls on the thread's CPU clock (one thread) or the
/// wall clock (more). With <c>prefetch</c>: the kernel without its prefetch against with it (<see cref="RowFilterConvolution.Prefetch"/>). GFLOP/s count the nominal products (padding taps included) for both; "same" when the outputs are bit for bit equal.
/// </summary>
internal static unsafe class QuickRowFilter
{
    public static void Run(int rounds, string? only, int threads, bool prefetch = false)
    {
        using var backend = new OpenBlasBackend(); // loads OpenBLAS
        int width = WorkerPool.Width;
        bool? row = RowFilterConvolution.Forced;
        bool fetch = RowFilterConvolution.Prefetch;
        WorkerPool.Width = threads;
        bool wall = threads > 1;
        Console.WriteLine($"{(wall ? "wall" : "thread CPU")} clock, minimum of {rounds} calls, {threads} thread(s); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; {DateTime.UtcNow:HH:mm} UTC");
        Console.WriteLine(prefetch ? "off: the row × filter kernel without its prefetch; rowfv: with it" : "off: the padded kernel; rowfv: the row × filter kernel");
        Console.WriteLine($"{"layer",-10} {"off ms",8} {"rowfv ms",9} {"off GF/s",9} {"rowfv GF/s",10} {"speedup",8}  bits");
        var workspace = new ConvolutionWorkspace();
        foreach (var (name, l) in QuickPadded.Layers())
        {
            if (only is not null && !name.StartsWith(only, StringComparison.Ordinal))
            {
                continue;
            }
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), scale = QuickConvolution.Fill(l.Filters), shift = QuickConvolution.Fill(l.Filters);
            float* y0 = QuickConvolution.Fill(ys), y1 = QuickConvolution.Fill(ys);
            var epilogue = new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0);
            double flops = 2.0 * l.Batch * l.Filters * l.GroupRows * l.OutputSize;
            double[] best = QuickTiming.LeastMilliseconds(rounds, 2, v =>
            {
                // prefetch: the kernel without (0) and with (1) its prefetch; else the padded kernel (0) and this one as configured (1).
                RowFilterConvolution.Forced = prefetch || v == 1;
                RowFilterConvolution.Prefetch = prefetch ? v == 1 : fetch;
                ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)x, (nint)w, (nint)(v == 0 ? y0 : y1), workspace, epilogue);
            }, wall);
            bool same = new Span<float>(y0, (int)ys).SequenceEqual(new Span<float>(y1, (int)ys));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-10} {best[0],8:F2} {best[1],9:F2} {flops / best[0] / 1e6,9:F0} {flops / best[1] / 1e6,10:F0} {best[0] / best[1],8:F3}  {(same ? "same" : "DIFFERS")}"));
            foreach (nint p in new[] { (nint)x, (nint)w, (nint)scale, (nint)shift, (nint)y0, (nint)y1 })
            {
                NativeMemory.AlignedFree((void*)p);
            }
        }
        (RowFilterConvolution.Forced, RowFilterConvolution.Prefetch, WorkerPool.Width) = (row, fetch, width);
        workspace.Release();
    }
}
