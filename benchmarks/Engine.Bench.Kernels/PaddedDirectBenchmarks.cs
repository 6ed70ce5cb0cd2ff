using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// Inference forward (batch norm + ReLU epilogue) of CIFAR ResNet-20's three stride-1 layer shapes and
/// VGG-CIFAR's 128-channel 8×8 one at batch 128, and ResNet-18's 14×14 and 7×7 ones at batch 16, through the
/// dispatcher with each path forced: the padded direct kernel (<see cref="PaddedDirectConvolution"/>) with its
/// position tile (by the size rules, and with chunks of channels and whole-plane copies each forced on and both off) and with the filter-block tile (<see cref="FilterBlockConvolution"/>), im2col + the packed GEMM (the reference it is
/// tested against bit for bit), several samples per product (<see cref="BatchedConvolution"/>) and
/// Winograd. One worker, as <c>--quick-infer</c> measures.
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*PaddedDirect*'</c>.
/// </summary>
public unsafe class PaddedDirectBenchmarks
{
    /// <summary>(name, channels = filters, plane size) at batch 128, 3×3 pad 1.</summary>
    public static IEnumerable<string> Layers() => ["resnet20-32x32x16", "resnet20-16x16x32", "resnet20-8x8x64", "vgg-8x8x128", "resnet18-14x14x256", "resnet18-7x7x512"];

    [ParamsSource(nameof(Layers))]
    public string Case { get; set; } = "";

    private ConvolutionLayout _layout;
    private float* _x, _w, _y, _scale, _shift;
    private OpenBlasBackend? _backend;
    private ConvolutionWorkspace? _workspace;
    private (bool? Direct, bool? Batched, bool? Winograd, bool? Blocks, int Width) _saved;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new OpenBlasBackend(); // loads OpenBLAS
        _workspace = new ConvolutionWorkspace();
        (int channels, int size, int batch) = Case switch
        {
            "resnet20-32x32x16" => (16, 32, 128),
            "resnet20-16x16x32" => (32, 16, 128),
            "resnet20-8x8x64" => (64, 8, 128),
            "resnet18-14x14x256" => (256, 14, 16),
            "resnet18-7x7x512" => (512, 7, 16),
            _ => (128, 8, 128),
        };
        var axis = new ConvolutionAxis(size, size, 3, 1, 1, 1);
        _layout = new ConvolutionLayout(batch, channels, channels, 1, ConvolutionAxis.Unit, axis, axis);
        var rng = new Random(1);
        _x = SmallGemmBenchmarks.Fill(_layout.Batch * channels * _layout.InputSize, rng);
        _w = SmallGemmBenchmarks.Fill(channels * _layout.GroupRows, rng);
        _y = SmallGemmBenchmarks.Fill(_layout.Batch * channels * _layout.OutputSize, rng);
        _scale = SmallGemmBenchmarks.Fill(channels, rng);
        _shift = SmallGemmBenchmarks.Fill(channels, rng);
        _saved = (PaddedDirectConvolution.Forced, BatchedConvolution.Forced, WinogradConvolution.Forced, FilterBlockConvolution.Forced, WorkerPool.Width);
        WorkerPool.Width = 1;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (PaddedDirectConvolution.Forced, BatchedConvolution.Forced, WinogradConvolution.Forced, FilterBlockConvolution.Forced, WorkerPool.Width) = _saved;
        foreach (float* p in new[] { _x, _w, _y, _scale, _shift })
        {
            NativeMemory.AlignedFree(p);
        }
        _workspace?.Release();
        _backend?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Im2Col() => Run(direct: false, batched: false, winograd: false);

    [Benchmark]
    public void PaddedDirect() => Run(direct: true, batched: false, winograd: false);

    /// <summary>The position tile over all channels at once, copies row by row: the order of work before chunks and plane copies.</summary>
    [Benchmark]
    public void PaddedDirectRows() => RunTile(chunks: false, planes: false);

    /// <summary>The position tile by chunks of channels wherever a tile's rows exceed 16 KB (<c>ENGINE_PADDED_DIRECT_CHUNK=on</c>).</summary>
    [Benchmark]
    public void PaddedDirectChunks() => RunTile(chunks: true, planes: false);

    /// <summary>Whole-plane copies wherever the padding allows (<c>ENGINE_PADDED_PLANE_COPY=on</c>).</summary>
    [Benchmark]
    public void PaddedDirectPlanes() => RunTile(chunks: false, planes: true);

    private void RunTile(bool chunks, bool planes)
    {
        (bool? Chunks, bool? Planes) saved = (PaddedDirectConvolution.ChunkedTiles, PaddedDirectConvolution.PlaneCopy);
        (PaddedDirectConvolution.ChunkedTiles, PaddedDirectConvolution.PlaneCopy) = (chunks, planes);
        Run(direct: true, batched: false, winograd: false);
        (PaddedDirectConvolution.ChunkedTiles, PaddedDirectConvolution.PlaneCopy) = saved;
    }

    [Benchmark]
    public void FilterBlocks() => Run(direct: true, batched: false, winograd: false, blocks: true);

    [Benchmark]
    public void Batched() => Run(direct: false, batched: true, winograd: false);

    [Benchmark]
    public void Winograd() => Run(direct: false, batched: false, winograd: true);

    private void Run(bool direct, bool batched, bool winograd, bool blocks = false)
    {
        (PaddedDirectConvolution.Forced, BatchedConvolution.Forced, WinogradConvolution.Forced, FilterBlockConvolution.Forced) = (direct, batched, winograd, blocks);
        var epilogue = new ConvolutionEpilogue((nint)_scale, (nint)_shift, Activation.Relu, 0);
        ConvolutionKernels.Run(ConvolutionPass.Forward, false, _layout, DataType.Float32, (nint)_x, (nint)_w, (nint)_y, _workspace!, epilogue);
    }
}
