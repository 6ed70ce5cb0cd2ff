using System.Globalization;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// Inference forward (batch norm + ReLU epilogue) of ResNet-18's stride-2 convolutions at batch 16 through the
/// dispatcher: the phase-row kernel (<see cref="PhaseRowConvolution"/>, forced on) against what runs without it
/// (forced off: the sliced im2col + packed GEMM for the 7×7 first layer, the padded direct or batched kernels for the
/// 3×3 layers, im2col for the 1×1 projections). One worker.
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*PhaseRow*'</c>, or
/// <c>-- --quick-phase-rows [rounds [case text]]</c> for both alternating in one process by the thread's CPU clock.
/// </summary>
public unsafe class PhaseRowBenchmarks
{
    /// <summary>ResNet-18's stride-2 layers.</summary>
    public static IEnumerable<string> Layers() =>
        ["stem-7x7", "64x56-3x3", "128x28-3x3", "256x14-3x3", "64x56-1x1", "128x28-1x1", "256x14-1x1"];

    [ParamsSource(nameof(Layers))]
    public string Case { get; set; } = "";

    private ConvolutionLayout _layout;
    private float* _x, _w, _y, _scale, _shift;
    private OpenBlasBackend? _backend;
    private ConvolutionWorkspace? _workspace;
    private (bool? Forced, int Width) _saved;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new OpenBlasBackend(); // loads OpenBLAS
        _workspace = new ConvolutionWorkspace();
        (int channels, int size, int filters, int kernel, int pad) = Case switch
        {
            "stem-7x7" => (3, 224, 64, 7, 3),
            "64x56-3x3" => (64, 56, 128, 3, 1),
            "128x28-3x3" => (128, 28, 256, 3, 1),
            "256x14-3x3" => (256, 14, 512, 3, 1),
            "64x56-1x1" => (64, 56, 128, 1, 0),
            "128x28-1x1" => (128, 28, 256, 1, 0),
            _ => (256, 14, 512, 1, 0),
        };
        var axis = new ConvolutionAxis(size, (size + 2 * pad - kernel) / 2 + 1, kernel, 2, pad, 1);
        _layout = new ConvolutionLayout(16, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
        var rng = new Random(1);
        _x = SmallGemmBenchmarks.Fill(_layout.Batch * channels * _layout.InputSize, rng);
        _w = SmallGemmBenchmarks.Fill(filters * _layout.GroupRows, rng);
        _y = SmallGemmBenchmarks.Fill(_layout.Batch * filters * _layout.OutputSize, rng);
        _scale = SmallGemmBenchmarks.Fill(filters, rng);
        _shift = SmallGemmBenchmarks.Fill(filters, rng);
        _saved = (PhaseRowConvolution.Forced, WorkerPool.Width);
        WorkerPool.Width = 1;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (PhaseRowConvolution.Forced, WorkerPool.Width) = _saved;
        foreach (float* p in new[] { _x, _w, _y, _scale, _shift })
        {
            NativeMemory.AlignedFree(p);
        }
        _workspace?.Release();
        _backend?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Without() => Run(false);

    [Benchmark]
    public void PhaseRows() => Run(true);

    private void Run(bool phases)
    {
        PhaseRowConvolution.Forced = phases;
        ConvolutionKernels.Run(ConvolutionPass.Forward, false, _layout, DataType.Float32, (nint)_x, (nint)_w, (nint)_y, _workspace!,
            new ConvolutionEpilogue((nint)_scale, (nint)_shift, Activation.Relu, 0));
    }

    /// <summary>Both variants alternating call by call, the minimum and the median of the thread's CPU time per call.</summary>
    public static void Quick(int rounds, string? only)
    {
        Console.WriteLine($"one worker; ms of thread CPU per forward (batch 16, batch norm + ReLU), min / median of {rounds} calls each, alternating");
        foreach (string layer in Layers().Where(c => only is null || c.Contains(only, StringComparison.Ordinal)))
        {
            var bench = new PhaseRowBenchmarks { Case = layer };
            bench.Setup();
            var times = new[] { new List<double>(), new List<double>() };
            for (int r = 0; r < rounds + 2; r++)
            {
                for (int v = 0; v < 2; v++)
                {
                    double start = QuickPacked.Now(false);
                    bench.Run(v == 1);
                    if (r >= 2)
                    {
                        times[v].Add(QuickPacked.Now(false) - start);
                    }
                }
            }
            bench.Cleanup();
            times[0].Sort();
            times[1].Sort();
            double m0 = times[0][rounds / 2], m1 = times[1][rounds / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {layer,-11} without {times[0][0],7:F2} / {m0,7:F2}   phase rows {times[1][0],7:F2} / {m1,7:F2}   median ratio {m1 / m0:F2}"));
        }
    }
}
