using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-pool-s2 [rounds]</c>: the 3×3 s2 p1 pooling kernels of <c>bench layers</c>' (16,64,112,112)
/// cases on one thread, variants alternating call by call in one process, minimum of the thread CPU
/// time per call (a shared machine spoils means, not minima) and GB/s of the least traffic each pass
/// needs (forward reads x and writes y, max also its taps; backward reads dy (and taps) and writes dx).
/// </summary>
internal static unsafe class QuickPoolStride2
{
    public static void Run(int rounds)
    {
        if (Environment.GetEnvironmentVariable("QUICK_POOL_OFFSETS") == "1")
        {
            Offsets(rounds);
            return;
        }
        const int n = 16, c = 64, size = 112;
        var window = new ConvolutionGeometry([3, 3], [2, 2], [1, 1], [1, 1], [1, 1]);
        PoolPlan plan = PoolPlan.Create(new PoolingGeometry(PoolingMode.Average, window), new Shape(n, c, size, size));
        long inputs = (long)plan.Planes * plan.InVolume, outputs = (long)plan.Planes * plan.OutVolume;
        var rng = new Random(1);
        float* x = SmallGemmBenchmarks.Fill((int)inputs, rng), dx = SmallGemmBenchmarks.Fill((int)inputs, rng);
        float* y = SmallGemmBenchmarks.Fill((int)outputs, rng), dy = SmallGemmBenchmarks.Fill((int)outputs, rng);
        byte* taps = (byte*)NativeMemory.AlignedAlloc((nuint)outputs, 64);
        int planes = plan.Planes;
        double avgBytes = 4.0 * (inputs + outputs), maxBytes = avgBytes + outputs;
        (string Name, double Bytes, Action Call)[] variants =
        [
            ("avg fwd, phases (ROW_AVG_S2=off)", avgBytes, () => PoolLines.FlatAverageStride2Forward<Pool512, Vector512<float>, Vector512<int>>(plan, false, x, y, 0, planes)),
            ("avg fwd, rows (ROW_AVG_S2=on)", avgBytes, () => PoolLines.RowAverageStride2Forward<Pool512, Vector512<float>, Vector512<int>>(plan, false, x, y, 0, planes)),
            ("avg bwd, plain stores (STREAM_DX=off)", avgBytes, () =>
            {
                PoolLines.StreamDx = false;
                PoolLines.FlatAverageStride2Backward<Pool512, Vector512<float>, Vector512<int>>(plan, false, dy, dx, 0, planes);
                PoolLines.StreamDx = true;
            }),
            ("avg bwd, streamed dx (STREAM_DX=on)", avgBytes, () => PoolLines.FlatAverageStride2Backward<Pool512, Vector512<float>, Vector512<int>>(plan, false, dy, dx, 0, planes)),
            ("max fwd, phases (ROW_MAX_S2=off)", maxBytes, () => PoolLines.FlatStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, x, y, taps, 0, planes)),
            ("max fwd, rows (ROW_MAX_S2=on)", maxBytes, () => PoolLines.RowMaxStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, x, y, taps, 0, planes)),
            ("max fwd, rows NaN-aware (NAN_FREE=off)", maxBytes, () =>
            {
                PoolLines.NanFree = false;
                PoolLines.RowMaxStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, x, y, taps, 0, planes);
                PoolLines.NanFree = true;
            }),
            ("max bwd from taps, plain stores", maxBytes, () =>
            {
                PoolLines.StreamDx = false;
                PoolLines.GatherStride2FromArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, taps, dy, dx, 0, planes);
                PoolLines.StreamDx = true;
            }),
            ("max bwd from taps, streamed dx", maxBytes, () => PoolLines.GatherStride2FromArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, taps, dy, dx, 0, planes)),
            ("copy x -> dx (reference)", 8.0 * inputs, () => new ReadOnlySpan<float>(x, (int)inputs).CopyTo(new Span<float>(dx, (int)inputs))),
            ("copy x -> dx, plain vector stores", 8.0 * inputs, () => CopyVectors(x, dx, inputs, false)),
            ("copy x -> dx, non-temporal stores", 8.0 * inputs, () => CopyVectors(x, dx, inputs, true)),
        ];
        double[] best = QuickTiming.LeastMilliseconds(rounds, variants.Length, v => variants[v].Call());
        Console.WriteLine($"3x3 s2 p1 (16,64,112,112), one thread, least thread CPU ms of {rounds} alternating calls");
        for (int v = 0; v < variants.Length; v++)
        {
            Console.WriteLine(FormattableString.Invariant($"{variants[v].Name,-36} {best[v],7:F2} ms {variants[v].Bytes / best[v] / 1e6,6:F1} GB/s"));
        }
        NativeMemory.AlignedFree(x);
        NativeMemory.AlignedFree(dx);
        NativeMemory.AlignedFree(y);
        NativeMemory.AlignedFree(dy);
        NativeMemory.AlignedFree(taps);
    }

    // What a write-only output stream could gain: streaming stores skip reading each line before writing it.
    private static void CopyVectors(float* from, float* to, long count, bool nonTemporal)
    {
        for (long i = 0; i + 16 <= count; i += 16)
        {
            Vector512<float> v = Vector512.Load(from + i);
            if (nonTemporal)
            {
                v.StoreAlignedNonTemporal(to + i);
            }
            else
            {
                v.Store(to + i);
            }
        }
    }

    // The row max forward with y and the taps at 64-byte steps of offset from x (4K aliasing?).
    private static void Offsets(int rounds)
    {
        var window = new ConvolutionGeometry([3, 3], [2, 2], [1, 1], [1, 1], [1, 1]);
        PoolPlan plan = PoolPlan.Create(new PoolingGeometry(PoolingMode.Max, window), new Shape(16, 64, 112, 112));
        long inputs = (long)plan.Planes * plan.InVolume, outputs = (long)plan.Planes * plan.OutVolume;
        var rng = new Random(1);
        float* x = SmallGemmBenchmarks.Fill((int)inputs, rng);
        float* y = SmallGemmBenchmarks.Fill((int)outputs + 4096, rng);
        byte* taps = (byte*)NativeMemory.AlignedAlloc((nuint)outputs + 8192, 64);
        for (int k = 0; k < 4096; k += 512)
        {
            for (int t = 0; t < 4096; t += 1024)
            {
                double best = double.MaxValue;
                for (int r = 0; r < rounds; r++)
                {
                    double start = QuickPacked.Now(false);
                    PoolLines.RowMaxStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, x, (float*)((byte*)y + k), taps + t, 0, plan.Planes);
                    best = Math.Min(best, QuickPacked.Now(false) - start);
                }
                Console.WriteLine(FormattableString.Invariant($"y +{k,4} B, taps +{t,4} B: {best:F2} ms"));
            }
        }
    }
}
