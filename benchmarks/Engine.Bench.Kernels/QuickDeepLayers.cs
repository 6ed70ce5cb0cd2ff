using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-deep [rounds] [threads]</c>: ResNet-18's 3×3 stride-1 inference layers (batch 16, batch-norm + ReLU
/// epilogue, weights unchanged between calls so <see cref="DerivedFilters"/> keeps what they derive) with the
/// switches of helper <c>wino28</c> all off (the reference), prepacked filters alone (<c>ENGINE_WINOGRAD_PREPACK</c>,
/// <c>ENGINE_BATCHED_PREPACK</c>), and the deep layers on Winograd too (<c>ENGINE_WINOGRAD_DEEP</c>), alternating call
/// by call in one process; the fastest of <c>rounds</c> calls by process CPU time (what a loaded machine inflates least).
/// Prints whether prepacking kept the reference's bits and the deep path's largest difference relative to the output's largest value.
/// </summary>
internal static unsafe class QuickDeepLayers
{
    private static ConvolutionLayout Conv(int channels, int size, int filters)
    {
        var axis = new ConvolutionAxis(size, size, 3, 1, 1, 1);
        return new ConvolutionLayout(16, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
    }

    public static void Run(int rounds, int threads)
    {
        using var backend = new OpenBlasBackend();
        WorkerPool.Width = threads;
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; {threads} thread(s), process CPU ms, "
            + $"minimum of {rounds} calls; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        (string Name, bool Prepack, bool Deep)[] variants = [("off", false, false), ("prepack", true, false), ("prepack+deep", true, true)];
        Console.WriteLine($"{"layer",-26} {string.Join(" ", variants.Select(v => $"{v.Name,13}"))}   prepack==off, deep vs off");
        var workspace = new ConvolutionWorkspace();
        (bool Wp, bool Bp, bool Deep) saved = (WinogradConvolution.Prepack, BatchedConvolution.Prepack, WinogradConvolution.Deep);
        foreach (ConvolutionLayout l in new[] { Conv(64, 56, 64), Conv(128, 28, 128), Conv(256, 14, 256), Conv(512, 7, 512) })
        {
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), scale = QuickConvolution.Fill(l.Filters), shift = QuickConvolution.Fill(l.Filters);
            using CpuStorage w = QuickConvolution.FilledStorage(ws);
            float*[] y = new float*[variants.Length];
            for (int v = 0; v < y.Length; v++)
            {
                y[v] = QuickConvolution.Fill(ys);
            }
            var epilogue = new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0);
            double[] best = [.. variants.Select(_ => double.MaxValue)];
            for (int r = 0; r < rounds + 2; r++) // the first two calls derive the filters (the second keeps them)
            {
                for (int v = 0; v < variants.Length; v++)
                {
                    (WinogradConvolution.Prepack, BatchedConvolution.Prepack, WinogradConvolution.Deep) = (variants[v].Prepack, variants[v].Prepack, variants[v].Deep);
                    double start = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
                    ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)x, w.Pointer, (nint)y[v], workspace, epilogue, w);
                    if (r >= 2)
                    {
                        best[v] = Math.Min(best[v], Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - start);
                    }
                }
            }
            bool same = new Span<float>(y[0], (int)ys).SequenceEqual(new Span<float>(y[1], (int)ys));
            double top = 0, diff = 0;
            for (long i = 0; i < ys; i++)
            {
                top = Math.Max(top, Math.Abs(y[0][i]));
                diff = Math.Max(diff, Math.Abs(y[0][i] - y[2][i]));
            }
            string name = $"({l.Batch},{l.Channels},{l.Height.Input},{l.Width.Input})->{l.Filters}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-26} {string.Join(" ", best.Select(b => $"{b,13:F2}"))}   {(same ? "same" : "DIFFERS")}, {diff / top:E1}"));
            foreach (float* p in y)
            {
                NativeMemory.AlignedFree(p);
            }
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(scale);
            NativeMemory.AlignedFree(shift);
        }
        (WinogradConvolution.Prepack, BatchedConvolution.Prepack, WinogradConvolution.Deep) = saved;
        workspace.Release();
    }
}
