using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-conv</c>: LeNet-5's two convolutions at batch 64 and a small 3×3 one (CIFAR-size), each pass (forward, backward data,
/// backward filter) through the backend's convolution kernel with the products on OpenBLAS
/// (<see cref="SmallGemm.Bits"/> = 0), on the own kernel at 512 bits with the column (im2col/col2im)
/// backward passes, and at 512 bits with the direct backward kernels (<see cref="DirectFilterGradient"/>,
/// <see cref="DirectDataGradient"/>), and with the small-channel backward kernels too (<see cref="SmallChannelFilterGradient"/>,
/// <see cref="SmallChannelDataGradient"/>), alternating in one process, the fastest of many calls kept (the
/// machine is shared). Threads: the backend's pool (OPENBLAS_NUM_THREADS, else the core count).
/// </summary>
internal static unsafe class QuickConvolution
{
    public static void Run(int rounds)
    {
        using var backend = new OpenBlasBackend(); // loads OpenBLAS, sizes the pool
        (int Bits, bool Direct, bool SmallChannel)[] variants = [(0, false, false), (512, false, false), (512, true, false), (512, true, true)];
        (string Name, ConvolutionLayout Layout)[] layers =
        [
            ("conv1 (64,1,28,28)->6@5x5 p2", new(64, 1, 6, 1, ConvolutionAxis.Unit, new(28, 28, 5, 1, 2, 1), new(28, 28, 5, 1, 2, 1))),
            ("conv2 (64,6,14,14)->16@5x5", new(64, 6, 16, 1, ConvolutionAxis.Unit, new(14, 10, 5, 1, 0, 1), new(14, 10, 5, 1, 0, 1))),
            ("(32,3,32,32)->32@3x3 p1", new(32, 3, 32, 1, ConvolutionAxis.Unit, new(32, 32, 3, 1, 1, 1), new(32, 32, 3, 1, 1, 1))),
        ];
        // One thread: its CPU clock (what a loaded machine cannot inflate); more: the wall clock.
        bool wall = WorkerPool.Width > 1;
        Console.WriteLine($"pool width {WorkerPool.Width}; microseconds ({(wall ? "wall" : "thread CPU")} clock), minimum of {rounds} calls; products on: OpenBLAS, own 512 column backward, own 512 direct backward, + small-channel backward");
        var workspace = new ConvolutionWorkspace();
        foreach (var (name, l) in layers)
        {
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = Fill(xs), w = Fill(ws), y = Fill(ys);
            foreach (ConvolutionPass pass in Enum.GetValues<ConvolutionPass>())
            {
                var best = new double[variants.Length];
                var total = new double[variants.Length];
                Array.Fill(best, double.MaxValue);
                for (int r = 0; r < rounds; r++)
                {
                    for (int v = 0; v < variants.Length; v++)
                    {
                        SmallGemm.Bits = variants[v].Bits;
                        DirectFilterGradient.Enabled = DirectDataGradient.Enabled = variants[v].Direct;
                        SmallChannelFilterGradient.Enabled = variants[v].SmallChannel;
                        double start = QuickPacked.Now(wall);
                        ConvolutionKernels.Run(pass, false, l, DataType.Float32, (nint)x, (nint)w, (nint)y, workspace);
                        double us = (QuickPacked.Now(wall) - start) * 1e3;
                        best[v] = Math.Min(best[v], us);
                        total[v] += us;
                    }
                }
                Console.WriteLine($"{name,-30} {pass,-15} {string.Join(" ", best.Select(us => us.ToString("F1", CultureInfo.InvariantCulture).PadLeft(8)))}   means {string.Join(" ", total.Select(us => (us / rounds).ToString("F1", CultureInfo.InvariantCulture).PadLeft(8)))}");
            }
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(y);
        }
        workspace.Release();
    }

    internal static float* Fill(long count)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)count * sizeof(float), 64);
        var rng = new Random(3);
        for (long i = 0; i < count; i++)
        {
            p[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return p;
    }

    /// <summary>Filters in backend storage (the kernels key their derived filters on it), filled as <see cref="Fill"/> does.</summary>
    internal static CpuStorage FilledStorage(long count)
    {
        var storage = new CpuStorage(count * sizeof(float));
        float* values = Fill(count);
        Buffer.MemoryCopy(values, (void*)storage.Pointer, count * sizeof(float), count * sizeof(float));
        NativeMemory.AlignedFree(values);
        return storage;
    }
}
