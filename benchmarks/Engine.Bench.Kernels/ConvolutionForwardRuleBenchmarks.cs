using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// The two forward changes of helper <c>convfwd</c> (issue 16), on the <c>engine bench layers</c> cases that were behind
/// PyTorch, through the backend's dispatcher with the bias a convolution layer adds:
/// <list type="bullet">
/// <item><see cref="Before"/>: the padded direct 3×3 kernel's earlier size rule (<c>ENGINE_PADDED_DIRECT_L2=off</c>) and the bias as
/// a separate pass (<see cref="OpenBlasBackend.AddChannelBias"/>, <c>ENGINE_CONV_BIAS_EPILOGUE=off</c>);</item>
/// <item><see cref="CacheRule"/>: layers whose three padded copies outgrow the second-level cache left to Winograd, bias separate;</item>
/// <item><see cref="Chosen"/>: that and the bias as the convolution's epilogue (what a training forward runs now).</item>
/// </list>
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*ConvolutionForwardRule*'</c>;
/// a quick alternating form is <c>--quick-conv-forward</c>.
/// </summary>
[MemoryDiagnoser]
public unsafe class ConvolutionForwardRuleBenchmarks
{
    /// <summary>LeNet-5's conv2, an RGB first layer, ResNet-18's 128-channel 28×28 layer (the <c>bench layers</c> sizes).</summary>
    public static IEnumerable<ConvolutionVariantBenchmarks.Layer> Layers() =>
    [
        new("lenet-conv2", 64, 6, 16, 14, 5, 0),
        new("rgb-first-3x3", 32, 3, 32, 32, 3, 1),
        new("resnet18-3x3", 16, 128, 128, 28, 3, 1),
    ];

    [ParamsSource(nameof(Layers))]
    public ConvolutionVariantBenchmarks.Layer Case { get; set; } = null!;

    private float* _x, _w, _y, _bias, _unit;
    private OpenBlasBackend? _backend;
    private ConvolutionWorkspace? _workspace;
    private bool _savedRule;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new OpenBlasBackend(); // loads OpenBLAS, sizes the pool
        _workspace = new ConvolutionWorkspace();
        var rng = new Random(1);
        Case.Operands(rng, out _x, out _w, out _y);
        int filters = Case.Layout.Filters;
        _bias = SmallGemmBenchmarks.Fill(filters, rng);
        _unit = (float*)NativeMemory.AlignedAlloc((nuint)filters * sizeof(float), 64);
        new Span<float>(_unit, filters).Fill(1f);
        _savedRule = PaddedDirectConvolution.CacheRule;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        PaddedDirectConvolution.CacheRule = _savedRule;
        foreach (float* p in new[] { _x, _w, _y, _bias, _unit })
        {
            NativeMemory.AlignedFree(p);
        }
        _workspace?.Release();
        _backend?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Before() => Run(cacheRule: false, biasEpilogue: false);

    [Benchmark]
    public void CacheRule() => Run(cacheRule: true, biasEpilogue: false);

    [Benchmark]
    public void Chosen() => Run(cacheRule: true, biasEpilogue: true);

    private void Run(bool cacheRule, bool biasEpilogue)
    {
        PaddedDirectConvolution.CacheRule = cacheRule;
        ConvolutionLayout l = Case.Layout;
        if (biasEpilogue)
        {
            ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)_x, (nint)_w, (nint)_y, _workspace!,
                new ConvolutionEpilogue((nint)_unit, (nint)_bias, null, 0));
            return;
        }
        ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)_x, (nint)_w, (nint)_y, _workspace!);
        // The separate bias pass, as AddChannelBias makes it: each output plane plus its filter's bias.
        for (int n = 0; n < l.Batch; n++)
        {
            for (int k = 0; k < l.Filters; k++)
            {
                var plane = new Span<float>(_y + ((long)n * l.Filters + k) * l.OutputSize, l.OutputSize);
                System.Numerics.Tensors.TensorPrimitives.Add(plane, _bias[k], plane);
            }
        }
    }
}
