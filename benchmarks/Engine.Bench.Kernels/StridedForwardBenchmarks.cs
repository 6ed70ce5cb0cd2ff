using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// Inference forward (batch norm + ReLU epilogue) of ResNet-18's stride-2 convolutions at batch 16 through the
/// dispatcher (the sliced im2col + packed GEMM path): its 7×7 first layer, a stage's 3×3 and the 1×1 projection,
/// with the vector stride-2 im2col rows (<see cref="StridedGather"/>) and the epilogue per column slice
/// (<see cref="ColumnSlices.EpiloguePerSlice"/>) each on or off; both off is the reference path. One worker.
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*StridedForward*'</c>.
/// </summary>
public unsafe class StridedForwardBenchmarks
{
    /// <summary>ResNet-18's stride-2 layers: (name) → channels, input size, filters, kernel, padding.</summary>
    public static IEnumerable<string> Layers() => ["resnet18-stem-7x7", "resnet18-64x56-3x3", "resnet18-64x56-1x1"];

    [ParamsSource(nameof(Layers))]
    public string Case { get; set; } = "";

    private ConvolutionLayout _layout;
    private float* _x, _w, _y, _scale, _shift;
    private OpenBlasBackend? _backend;
    private ConvolutionWorkspace? _workspace;
    private (bool Gather, bool PerSlice, int Width, bool? PhaseRows) _saved;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new OpenBlasBackend(); // loads OpenBLAS
        _workspace = new ConvolutionWorkspace();
        (int channels, int size, int filters, int kernel, int pad) = Case switch
        {
            "resnet18-stem-7x7" => (3, 224, 64, 7, 3),
            "resnet18-64x56-3x3" => (64, 56, 128, 3, 1),
            _ => (64, 56, 128, 1, 0),
        };
        var axis = new ConvolutionAxis(size, (size + 2 * pad - kernel) / 2 + 1, kernel, 2, pad, 1);
        _layout = new ConvolutionLayout(16, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
        var rng = new Random(1);
        _x = SmallGemmBenchmarks.Fill(_layout.Batch * channels * _layout.InputSize, rng);
        _w = SmallGemmBenchmarks.Fill(filters * _layout.GroupRows, rng);
        _y = SmallGemmBenchmarks.Fill(_layout.Batch * filters * _layout.OutputSize, rng);
        _scale = SmallGemmBenchmarks.Fill(filters, rng);
        _shift = SmallGemmBenchmarks.Fill(filters, rng);
        _saved = (StridedGather.Enabled, ColumnSlices.EpiloguePerSlice, WorkerPool.Width, PhaseRowConvolution.Forced);
        WorkerPool.Width = 1;
        PhaseRowConvolution.Forced = false; // the first layer's own kernel: PhaseRowBenchmarks
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (StridedGather.Enabled, ColumnSlices.EpiloguePerSlice, WorkerPool.Width, PhaseRowConvolution.Forced) = _saved;
        foreach (float* p in new[] { _x, _w, _y, _scale, _shift })
        {
            NativeMemory.AlignedFree(p);
        }
        _workspace?.Release();
        _backend?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Reference() => Run(gather: false, perSlice: false);

    [Benchmark]
    public void VectorGather() => Run(gather: true, perSlice: false);

    [Benchmark]
    public void EpiloguePerSlice() => Run(gather: false, perSlice: true);

    [Benchmark]
    public void Both() => Run(gather: true, perSlice: true);

    private void Run(bool gather, bool perSlice)
    {
        (StridedGather.Enabled, ColumnSlices.EpiloguePerSlice) = (gather, perSlice);
        ConvolutionKernels.Run(ConvolutionPass.Forward, false, _layout, DataType.Float32, (nint)_x, (nint)_w, (nint)_y, _workspace!,
            new ConvolutionEpilogue((nint)_scale, (nint)_shift, Activation.Relu, 0));
    }
}
