using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-pool-s1 [rounds]</c>: the 3×3 s1 p1 pooling kernels of <c>bench layers</c>' (32,192,28,28)
/// cases on one thread at 512 bits, each switch off and on, variants alternating call by call in one
/// process, minimum of the thread CPU time per call, and GB/s of the least traffic each pass needs
/// (forward reads x and writes y, max also its taps; backward reads dy (and taps) and writes dx).
/// </summary>
internal static unsafe class QuickPoolStride1
{
    public static void Run(int rounds)
    {
        const int n = 32, c = 192, size = 28;
        var window = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        PoolPlan plan = PoolPlan.Create(new PoolingGeometry(PoolingMode.Average, window), new Shape(n, c, size, size));
        long count = (long)plan.Planes * plan.InVolume;
        var rng = new Random(1);
        float* x = SmallGemmBenchmarks.Fill((int)count, rng), dx = SmallGemmBenchmarks.Fill((int)count, rng);
        float* y = SmallGemmBenchmarks.Fill((int)count, rng), dy = SmallGemmBenchmarks.Fill((int)count, rng);
        byte* taps = (byte*)NativeMemory.AlignedAlloc((nuint)count, 64);
        int planes = plan.Planes;
        double avgBytes = 8.0 * count, maxBytes = avgBytes + count;
        PoolLines.ForwardKeepingArgMax(plan, x, y, taps, 0, planes);
        (string Name, double Bytes, Action Call)[] variants =
        [
            ("avg fwd, flat (SLIDE_AVG, ROW_AVG_S1 off)", avgBytes, () => With(false, false, () => AverageForward(plan, x, y, planes))),
            ("avg fwd, sliding runs (SLIDE_AVG on)", avgBytes, () => With(true, false, () => AverageForward(plan, x, y, planes))),
            ("avg fwd, rows (ROW_AVG_S1 on)", avgBytes, () => With(true, true, () => AverageForward(plan, x, y, planes))),
            ("avg bwd, flat", avgBytes, () => With(false, false, () => AverageBackward(plan, dy, dx, planes))),
            ("avg bwd, sliding runs", avgBytes, () => With(true, false, () => AverageBackward(plan, dy, dx, planes))),
            ("avg bwd, rows", avgBytes, () => With(true, true, () => AverageBackward(plan, dy, dx, planes))),
            ("max fwd, flat NaN-free (ROW_MAX_S1 off)", maxBytes, () =>
            {
                PoolLines.RowMaxStride1 = false;
                PoolLines.FlatForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, x, y, taps, 0, planes);
                PoolLines.RowMaxStride1 = true;
            }),
            ("max fwd, rows (ROW_MAX_S1 on)", maxBytes, () => PoolLines.FlatForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, x, y, taps, 0, planes)),
            ("max fwd values (inference), line kernel", avgBytes, () =>
            {
                PoolLines.RowMaxStride1 = false;
                PoolLines.Forward<Pool512, Vector512<float>, Vector512<int>>(plan, true, false, x, y, 0, planes);
                PoolLines.RowMaxStride1 = true;
            }),
            ("max fwd values (inference), rows", avgBytes, () => PoolLines.Forward<Pool512, Vector512<float>, Vector512<int>>(plan, true, false, x, y, 0, planes)),
            ("max bwd, flat gather (ROW_GATHER_S1 off)", maxBytes, () =>
            {
                PoolLines.RowGatherStride1 = false;
                PoolLines.FlatGatherFromArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, taps, dy, dx, 0, planes);
                PoolLines.RowGatherStride1 = true;
            }),
            ("max bwd, rows (ROW_GATHER_S1 on)", maxBytes, () => PoolLines.FlatGatherFromArgMax<Pool512, Vector512<float>, Vector512<int>>(plan, taps, dy, dx, 0, planes)),
            ("copy x -> dx (reference)", avgBytes, () => new ReadOnlySpan<float>(x, (int)count).CopyTo(new Span<float>(dx, (int)count))),
        ];
        double[] best = QuickTiming.LeastMilliseconds(rounds, variants.Length, v => variants[v].Call());
        Console.WriteLine($"3x3 s1 p1 (32,192,28,28), one thread, 512 bits, least thread CPU ms of {rounds} alternating calls");
        for (int v = 0; v < variants.Length; v++)
        {
            Console.WriteLine(FormattableString.Invariant($"{variants[v].Name,-42} {best[v],7:F2} ms {variants[v].Bytes / best[v] / 1e6,6:F1} GB/s"));
        }
        NativeMemory.AlignedFree(x);
        NativeMemory.AlignedFree(dx);
        NativeMemory.AlignedFree(y);
        NativeMemory.AlignedFree(dy);
        NativeMemory.AlignedFree(taps);
    }

    private static void AverageForward(in PoolPlan plan, float* x, float* y, int planes) =>
        PoolLines.FlatAverageForward<Pool512, Vector512<float>, Vector512<int>>(plan, true, x, y, 0, planes);

    private static void AverageBackward(in PoolPlan plan, float* dy, float* dx, int planes) =>
        PoolLines.FlatAverageBackward<Pool512, Vector512<float>, Vector512<int>>(plan, true, dy, dx, 0, planes);

    private static void With(bool slide, bool rows, Action call)
    {
        PoolLines.SlideAverage = slide;
        PoolLines.RowAverageStride1 = rows;
        call();
        PoolLines.SlideAverage = true;
        PoolLines.RowAverageStride1 = true;
    }
}
