using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-split-layers [rounds]</c>: ResNet-18's convolutions (batch 16, batch-norm + ReLU epilogue, weights unchanged
/// between calls) the way the two-thread inference batch split runs them: one pool loop of two items, each a sub-batch of 8
/// through the layer on its own thread, with <see cref="WorkerPool.NestedOne"/> off (the kernels inside cut their work for
/// the pool's two threads) and on (for the one thread they run on); beside them the layer cut by the kernel itself over
/// the 16 samples (the per-layer split) and one thread alone. Alternating call by call in one process; the fastest of
/// <c>rounds</c> calls by wall clock and by process CPU time. Prints whether nested off and on gave the same bits.
/// </summary>
internal static unsafe class QuickSplitLayers
{
    private static ConvolutionLayout Conv(int channels, int size, int filters, int kernel, int stride, int batch)
    {
        int pad = kernel / 2, output = (size + 2 * pad - kernel) / stride + 1;
        var axis = new ConvolutionAxis(size, output, kernel, stride, pad, 1);
        return new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
    }

    private struct Job
    {
        public ConvolutionLayout Half;
        public float* X, Y;
        public ConvolutionEpilogue Epilogue;
    }

    // The managed operands of the halves (a job holds only pointers).
    private static CpuStorage? s_w;
    private static readonly ConvolutionWorkspace[] Workspaces = [new(), new()];

    private static void Half(void* state, int item, int worker)
    {
        ref Job job = ref *(Job*)state;
        ConvolutionLayout l = job.Half;
        long xs = (long)l.Batch * l.Channels * l.InputSize, ys = (long)l.Batch * l.Filters * l.OutputSize;
        ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)(job.X + item * xs), s_w!.Pointer,
            (nint)(job.Y + item * ys), Workspaces[item], job.Epilogue, s_w);
    }

    /// <summary>
    /// <c>--quick-split-layers rounds T1,T2,...</c>: the Winograd layers split as above (nested on) with tiles per block
    /// <see cref="WinogradConvolution.TileTarget"/> (deep layers: <see cref="WinogradConvolution.DeepTiles"/>) set to each
    /// value in turn (0: the default rule), alternating call by call; blocks of any width give the same bits.
    /// </summary>
    public static void RunTiles(int rounds, int[] targets)
    {
        using var backend = new OpenBlasBackend();
        WorkerPool.Width = 2;
        (bool nested, int tiles, int deep) = (WorkerPool.NestedOne, WinogradConvolution.TileTarget, WinogradConvolution.DeepTiles);
        WorkerPool.NestedOne = true;
        Console.WriteLine($"split of batch 16, minimum of {rounds} calls, wall ms / process CPU ms by tiles per block; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"{"layer (batch 16)",-28} {string.Join(" ", targets.Select(t => $"{t,17}"))}");
        foreach ((int c, int size) in new[] { (64, 56), (128, 28), (256, 14), (512, 7) })
        {
            ConvolutionLayout half = Conv(c, size, c, 3, 1, 8);
            long xs = 2L * half.Batch * half.Channels * half.InputSize, ws = (long)half.Filters * half.GroupRows, ys = 2L * half.Batch * half.Filters * half.OutputSize;
            float* x = QuickConvolution.Fill(xs), y = QuickConvolution.Fill(ys), scale = QuickConvolution.Fill(c), shift = QuickConvolution.Fill(c);
            using CpuStorage w = QuickConvolution.FilledStorage(ws);
            s_w = w;
            var job = new Job { Half = half, X = x, Y = y, Epilogue = new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0) };
            double[] wall = [.. targets.Select(_ => double.MaxValue)], cpu = [.. wall];
            for (int r = 0; r < rounds + 2; r++)
            {
                for (int s = 0; s < targets.Length; s++)
                {
                    WinogradConvolution.TileTarget = targets[s];
                    WinogradConvolution.DeepTiles = targets[s] > 0 ? targets[s] : deep;
                    double start = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
                    long ticks = Stopwatch.GetTimestamp();
                    WorkerPool.For(2, 2, &Half, &job);
                    if (r >= 2)
                    {
                        wall[s] = Math.Min(wall[s], Stopwatch.GetElapsedTime(ticks).TotalMilliseconds);
                        cpu[s] = Math.Min(cpu[s], Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - start);
                    }
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{$"({c},{size},{size})->{c} 3x3/1",-28} {string.Join(" ", wall.Select((t, i) => $"{t,8:F2}/{cpu[i],8:F2}"))}"));
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(y);
            NativeMemory.AlignedFree(scale);
            NativeMemory.AlignedFree(shift);
        }
        s_w = null;
        (WorkerPool.NestedOne, WinogradConvolution.TileTarget, WinogradConvolution.DeepTiles) = (nested, tiles, deep);
    }

    public static void Run(int rounds)
    {
        using var backend = new OpenBlasBackend();
        WorkerPool.Width = 2;
        bool saved = WorkerPool.NestedOne;
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; minimum of {rounds} calls, "
            + $"wall ms / process CPU ms; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        string[] sides = ["split nested-2", "split nested-1", "per-layer 2thr", "1 thread"];
        Console.WriteLine($"{"layer (batch 16)",-28} {string.Join(" ", sides.Select(s => $"{s,17}"))}   nested 1 == 2");
        var whole = new ConvolutionWorkspace();
        foreach ((int c, int size, int k, int kernel, int stride) in new[]
        {
            (3, 224, 64, 7, 2), (64, 56, 64, 3, 1), (64, 56, 128, 3, 2), (128, 28, 128, 3, 1), (128, 28, 256, 3, 2), (256, 14, 256, 3, 1),
            (256, 14, 512, 3, 2), (512, 7, 512, 3, 1), (256, 14, 512, 1, 2), (64, 56, 128, 1, 2),
        })
        {
            ConvolutionLayout l = Conv(c, size, k, kernel, stride, 16), half = Conv(c, size, k, kernel, stride, 8);
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), scale = QuickConvolution.Fill(l.Filters), shift = QuickConvolution.Fill(l.Filters);
            using CpuStorage w = QuickConvolution.FilledStorage(ws);
            s_w = w;
            float*[] y = new float*[sides.Length];
            for (int s = 0; s < y.Length; s++)
            {
                y[s] = QuickConvolution.Fill(ys);
            }
            var epilogue = new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0);
            double[] wall = [.. sides.Select(_ => double.MaxValue)], cpu = [.. wall];
            for (int r = 0; r < rounds + 2; r++) // the first two calls derive the filters (the second keeps them)
            {
                for (int s = 0; s < sides.Length; s++)
                {
                    WorkerPool.NestedOne = s == 1;
                    WorkerPool.Width = s == 3 ? 1 : 2;
                    double start = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
                    long ticks = Stopwatch.GetTimestamp();
                    if (s < 2)
                    {
                        var job = new Job { Half = half, X = x, Y = y[s], Epilogue = epilogue };
                        WorkerPool.For(2, 2, &Half, &job);
                    }
                    else
                    {
                        ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)x, w.Pointer, (nint)y[s], whole, epilogue, w);
                    }
                    if (r >= 2)
                    {
                        wall[s] = Math.Min(wall[s], Stopwatch.GetElapsedTime(ticks).TotalMilliseconds);
                        cpu[s] = Math.Min(cpu[s], Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - start);
                    }
                }
            }
            bool same = new Span<float>(y[0], (int)ys).SequenceEqual(new Span<float>(y[1], (int)ys));
            string name = $"({c},{size},{size})->{k} {kernel}x{kernel}/{stride}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-28} {string.Join(" ", wall.Select((t, i) => $"{t,8:F2}/{cpu[i],8:F2}"))}   {(same ? "same" : "DIFFERS")}"));
            foreach (float* p in y)
            {
                NativeMemory.AlignedFree(p);
            }
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(scale);
            NativeMemory.AlignedFree(shift);
        }
        WorkerPool.NestedOne = saved;
        s_w = null;
        foreach (ConvolutionWorkspace workspace in Workspaces)
        {
            workspace.Release();
        }
        whole.Release();
    }
}
