using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// Each convolution kernel variant of the CPU backend on the layers issue 16 measures, one pass at a
/// time, through the backend's own dispatcher (<see cref="ConvolutionKernels.Run"/>) with the
/// switches that select a variant set for the call:
/// <list type="bullet">
/// <item><see cref="Reference"/>: im2col + OpenBLAS's sgemm, no engine kernel (the plain path every fast one is tested against);</item>
/// <item><see cref="Avx2"/>: the engine's own GEMMs and Winograd at 256 bits (what a CPU without AVX-512 runs; direct kernels need 512);</item>
/// <item><see cref="NoWinograd"/>: native width, Winograd forced off (3×3 layers go to im2col + the packed GEMM; LeNet's to the direct kernels);</item>
/// <item><see cref="Chosen"/>: native width, every path as the dispatcher's size rules choose it (what a training run uses);</item>
/// <item><see cref="PerSampleBackward"/>: as <see cref="Chosen"/> with the backward passes' grouping of samples per product off
/// (<c>ENGINE_BATCHED_CONV_BACKWARD=off</c>: one product per sample on small planes).</item>
/// </list>
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*ConvolutionVariant*'</c>.
/// The backend's worker pool is on (the process default: one worker per core), as in a training step.
/// </summary>
[MemoryDiagnoser]
public unsafe class ConvolutionVariantBenchmarks
{
    /// <summary>A layer: its name and its sizes as the kernels see them.</summary>
    public sealed record Layer(string Name, int Batch, int Channels, int Filters, int Size, int Kernel, int Pad)
    {
        internal ConvolutionLayout Layout
        {
            get
            {
                int output = Size + 2 * Pad - Kernel + 1;
                var axis = new ConvolutionAxis(Size, output, Kernel, 1, Pad, 1);
                return new ConvolutionLayout(Batch, Channels, Filters, 1, ConvolutionAxis.Unit, axis, axis);
            }
        }

        /// <summary>x, w and y of the layer (aligned, random; free them with NativeMemory.AlignedFree).</summary>
        internal void Operands(Random rng, out float* x, out float* w, out float* y)
        {
            ConvolutionLayout l = Layout;
            x = SmallGemmBenchmarks.Fill(l.Batch * l.Channels * l.InputSize, rng);
            w = SmallGemmBenchmarks.Fill(l.Filters * l.GroupRows, rng);
            y = SmallGemmBenchmarks.Fill(l.Batch * l.Filters * l.OutputSize, rng);
        }

        public override string ToString() => Name;
    }

    /// <summary>
    /// LeNet-5's two convolutions at batch 64 ((64,1,28,28)→6 5×5 pad 2; (64,6,14,14)→16 5×5), an RGB
    /// network's first layer ((32,3,32,32)→32 3×3 pad 1: the 3-channel backward kernels), a
    /// ResNet-18 stage-2 layer ((16,128,28,28)→128 3×3 pad 1), CIFAR ResNet-20's last stage
    /// ((32,64,8,8)→64 3×3 pad 1) and VGG-CIFAR's last ((32,128,8,8)→128 3×3 pad 1). Short names: BenchmarkDotNet's table cuts long ones.
    /// </summary>
    public static IEnumerable<Layer> Layers() =>
    [
        new("lenet-conv1", 64, 1, 6, 28, 5, 2),
        new("lenet-conv2", 64, 6, 16, 14, 5, 0),
        new("rgb-first-3x3", 32, 3, 32, 32, 3, 1),
        new("resnet18-3x3", 16, 128, 128, 28, 3, 1),
        new("resnet20-3x3", 32, 64, 64, 8, 3, 1),
        new("vgg-conv3b", 32, 128, 128, 8, 3, 1),
    ];

    [ParamsSource(nameof(Layers))]
    public Layer Case { get; set; } = null!;

    [Params(ConvolutionPassName.Forward, ConvolutionPassName.BackwardData, ConvolutionPassName.BackwardFilter)]
    public ConvolutionPassName Pass { get; set; }

    /// <summary>The pass as a public name (BenchmarkDotNet's parameters must be public; the kernels' enum is internal).</summary>
    public enum ConvolutionPassName
    {
        Forward,
        BackwardData,
        BackwardFilter,
    }

    private float* _x, _w, _y;
    private OpenBlasBackend? _backend;
    private ConvolutionWorkspace? _workspace;
    private (int Small, int Packed, bool? Winograd, bool DirectFilter, bool DirectData, bool SmallChannel, bool? Grouped) _saved;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new OpenBlasBackend(); // loads OpenBLAS
        _workspace = new ConvolutionWorkspace();
        Case.Operands(new Random(1), out _x, out _w, out _y);
        _saved = (SmallGemm.Bits, PackedGemm.Bits, WinogradConvolution.Forced, DirectFilterGradient.Enabled, DirectDataGradient.Enabled,
            SmallChannelFilterGradient.Enabled, ConvolutionKernels.BatchedBackwardForced);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (SmallGemm.Bits, PackedGemm.Bits, WinogradConvolution.Forced, DirectFilterGradient.Enabled, DirectDataGradient.Enabled,
            SmallChannelFilterGradient.Enabled, ConvolutionKernels.BatchedBackwardForced) = _saved;
        NativeMemory.AlignedFree(_x);
        NativeMemory.AlignedFree(_w);
        NativeMemory.AlignedFree(_y);
        _workspace?.Release();
        _backend?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Reference() => Run(small: 0, packed: 0, winograd: false, direct: false);

    [Benchmark]
    public void Avx2() => Run(small: Math.Min(_saved.Small, 256), packed: Math.Min(_saved.Packed, 256), winograd: null, direct: true);

    [Benchmark]
    public void NoWinograd() => Run(small: _saved.Small, packed: _saved.Packed, winograd: false, direct: true);

    [Benchmark]
    public void Chosen() => Run(small: _saved.Small, packed: _saved.Packed, winograd: _saved.Winograd, direct: true);

    [Benchmark]
    public void PerSampleBackward() => Run(small: _saved.Small, packed: _saved.Packed, winograd: _saved.Winograd, direct: true, grouped: false);

    private void Run(int small, int packed, bool? winograd, bool direct, bool? grouped = null)
    {
        ConvolutionKernels.BatchedBackwardForced = grouped ?? _saved.Grouped;
        SmallGemm.Bits = small;
        PackedGemm.Bits = packed;
        WinogradConvolution.Forced = winograd;
        DirectFilterGradient.Enabled = DirectDataGradient.Enabled = SmallChannelFilterGradient.Enabled = direct;
        ConvolutionKernels.Run((ConvolutionPass)Pass, false, Case.Layout, DataType.Float32, (nint)_x, (nint)_w, (nint)_y, _workspace!);
    }
}
