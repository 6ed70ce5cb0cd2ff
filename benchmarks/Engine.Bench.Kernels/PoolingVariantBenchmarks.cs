using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// Each float pooling kernel variant on the windows <c>engine bench layers</c> measures, one pass
/// over every plane on the calling thread (the backend splits planes over its pool the same way for
/// each variant):
/// <list type="bullet">
/// <item><see cref="Plain"/>: the per-position reference path every fast one is tested against;</item>
/// <item><see cref="VectorRows"/>: <see cref="PoolSimd"/>, output columns whose window lies inside the row a vector at a time, edges per position (<c>ENGINE_POOL_LINES=off</c>);</item>
/// <item><see cref="LinesAvx2"/>: <see cref="PoolLines"/> at 256 bits (what a CPU without AVX-512 runs);</item>
/// <item><see cref="Lines"/>: <see cref="PoolLines"/> at the native width (inference, and training with <c>ENGINE_POOL_ARGMAX=off</c>);</item>
/// <item><see cref="LinesKeptArgMax"/>: max pooling that keeps each output's window tap forward and gathers
/// dx from those bytes backward (what a training run uses; average pooling keeps none and runs <see cref="Lines"/>);
/// its 3×3 s1 p1 forward runs on flat planes (<c>ENGINE_POOL_FLAT</c>), its 3×3 s2 p1 forward on flat phases
/// (<c>ENGINE_POOL_FLAT_S2</c>) and backward gathers by phase;</item>
/// <item><see cref="LinesKeptArgMaxRowByRow"/>: that forward through the line kernel's row-by-row stages (<c>ENGINE_POOL_FLAT=off</c>,
/// <c>ENGINE_POOL_FLAT_S2=off</c>); backward, the scalar scatter from the kept taps where the gathers run (<c>ENGINE_POOL_ARGMAX_GATHER=off</c>);</item>
/// <item><see cref="LinesKeptArgMaxNanAware"/>: <see cref="LinesKeptArgMax"/> with the NaN-aware stages on every plane
/// (<c>ENGINE_POOL_NAN_FREE=off</c>; the data holds no NaN, so <see cref="LinesKeptArgMax"/> runs the NaN-free ones) and,
/// for 3×3 s1 p1, the row gather from the kept taps instead of the flat one (<c>ENGINE_POOL_FLAT_GATHER=off</c>);</item>
/// <item><see cref="LinesRowByRow"/>: <see cref="Lines"/> with the flat-plane forms off: the 3×3 s1 p1 average
/// forward and backward row by row (<c>ENGINE_POOL_FLAT_AVG=off</c>), against <see cref="Lines"/>' flat planes.</item>
/// </list>
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*PoolingVariant*'</c>.
/// </summary>
public unsafe class PoolingVariantBenchmarks
{
    /// <summary>A pooling layer: name, mode and sizes (N, C, H, W, square window, stride, padding).</summary>
    public sealed record Layer(string Name, bool Max, int Batch, int Channels, int Size, int Window, int Stride, int Pad)
    {
        internal PoolPlan Plan
        {
            get
            {
                var window = new ConvolutionGeometry([Window, Window], [Stride, Stride], [Pad, Pad], [Pad, Pad], [1, 1]);
                return PoolPlan.Create(new PoolingGeometry(Max ? PoolingMode.Max : PoolingMode.Average, window), new Shape(Batch, Channels, Size, Size));
            }
        }

        public override string ToString() => Name;
    }

    /// <summary>ResNet's stem pool, GoogLeNet's 3×3 s1 pools (max and average), as in <c>bench layers</c>, at a quarter of its batch; the stem's window as an average (flat phases).</summary>
    public static IEnumerable<Layer> Layers() =>
    [
        new("max-3x3-s2-p1", true, 4, 64, 112, 3, 2, 1),
        new("max-3x3-s1-p1", true, 8, 192, 28, 3, 1, 1),
        new("avg-3x3-s1-p1", false, 8, 192, 28, 3, 1, 1),
        new("avg-3x3-s2-p1", false, 4, 64, 112, 3, 2, 1),
    ];

    [ParamsSource(nameof(Layers))]
    public Layer Case { get; set; } = null!;

    [Params(true, false)]
    public bool Forward { get; set; }

    private float* _x, _y, _dy, _dx;
    private byte* _argMax;
    private PoolPlan _plan;

    [GlobalSetup]
    public void Setup()
    {
        _plan = Case.Plan;
        var rng = new Random(1);
        _x = SmallGemmBenchmarks.Fill(_plan.Planes * _plan.InVolume, rng);
        _dx = SmallGemmBenchmarks.Fill(_plan.Planes * _plan.InVolume, rng);
        _y = SmallGemmBenchmarks.Fill(_plan.Planes * _plan.OutVolume, rng);
        _dy = SmallGemmBenchmarks.Fill(_plan.Planes * _plan.OutVolume, rng);
        _argMax = (byte*)NativeMemory.AlignedAlloc((nuint)(_plan.Planes * _plan.OutVolume), 64);
        if (Case.Max)
        {
            PoolLines.ForwardKeepingArgMax(_plan, _x, _y, _argMax, 0, _plan.Planes); // the taps backward reads
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_x);
        NativeMemory.AlignedFree(_y);
        NativeMemory.AlignedFree(_dy);
        NativeMemory.AlignedFree(_dx);
        NativeMemory.AlignedFree(_argMax);
    }

    [Benchmark(Baseline = true)]
    public void Plain()
    {
        int nx = _plan.Planes * _plan.InVolume, ny = _plan.Planes * _plan.OutVolume;
        if (Forward)
        {
            PoolingKernels.PoolForwardKernel(_plan, Case.Max, false, new ReadOnlySpan<float>(_x, nx), new Span<float>(_y, ny));
        }
        else
        {
            PoolingKernels.PoolBackwardKernel(_plan, Case.Max, false, new ReadOnlySpan<float>(_x, nx), new ReadOnlySpan<float>(_dy, ny), new Span<float>(_dx, nx));
        }
    }

    [Benchmark]
    public void VectorRows() => Run(PoolSimd.Forward, PoolSimd.Backward);

    [Benchmark]
    public void LinesAvx2() => Run(PoolLines.Forward<Pool256, Vector256<float>, Vector256<int>>, PoolLines.Backward<Pool256, Vector256<float>, Vector256<int>>);

    [Benchmark]
    public void Lines() => Run(PoolLines.Forward, PoolLines.Backward);

    [Benchmark]
    public void LinesKeptArgMax()
    {
        if (!Case.Max)
        {
            Lines();
        }
        else if (Forward)
        {
            PoolLines.ForwardKeepingArgMax(_plan, _x, _y, _argMax, 0, _plan.Planes);
        }
        else
        {
            PoolLines.BackwardFromArgMax(_plan, _argMax, _dy, _dx, 0, _plan.Planes);
        }
    }

    [Benchmark]
    public void LinesKeptArgMaxRowByRow()
    {
        if (!Case.Max)
        {
            LinesKeptArgMax();
            return;
        }
        if (!Forward)
        {
            PoolLines.ScatterFromArgMax(_plan, _argMax, _dy, _dx, 0, _plan.Planes);
            return;
        }
        WithoutFlatPlanes(() => PoolLines.ForwardKeepingArgMax(_plan, _x, _y, _argMax, 0, _plan.Planes));
    }

    [Benchmark]
    public void LinesKeptArgMaxNanAware()
    {
        (bool nanFree, bool flatGather) = (PoolLines.NanFree, PoolLines.FlatGather);
        (PoolLines.NanFree, PoolLines.FlatGather) = (false, false);
        try
        {
            LinesKeptArgMax();
        }
        finally
        {
            (PoolLines.NanFree, PoolLines.FlatGather) = (nanFree, flatGather);
        }
    }

    [Benchmark]
    public void LinesRowByRow() => WithoutFlatPlanes(Lines);

    /// <summary>Runs <paramref name="run"/> with every flat-plane form off (<c>ENGINE_POOL_FLAT</c>, <c>_FLAT_AVG</c>, <c>_FLAT_S2</c>).</summary>
    private static void WithoutFlatPlanes(Action run)
    {
        (bool s1, bool average, bool s2) = (PoolLines.FlatPlanes, PoolLines.FlatAverage, PoolLines.FlatStride2);
        (PoolLines.FlatPlanes, PoolLines.FlatAverage, PoolLines.FlatStride2) = (false, false, false);
        try
        {
            run();
        }
        finally
        {
            (PoolLines.FlatPlanes, PoolLines.FlatAverage, PoolLines.FlatStride2) = (s1, average, s2);
        }
    }

    private delegate void ForwardKernel(in PoolPlan p, bool max, bool includePad, float* x, float* y, int first, int end);

    private delegate void BackwardKernel(in PoolPlan p, bool max, bool includePad, float* x, float* dy, float* dx, int first, int end);

    private void Run(ForwardKernel forward, BackwardKernel backward)
    {
        if (Forward)
        {
            forward(_plan, Case.Max, false, _x, _y, 0, _plan.Planes);
        }
        else
        {
            backward(_plan, Case.Max, false, _x, _dy, _dx, 0, _plan.Planes);
        }
    }
}
