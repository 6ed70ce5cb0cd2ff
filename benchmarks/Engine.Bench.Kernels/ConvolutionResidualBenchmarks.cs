using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// A residual block's second convolution at inference with its batch norm, the shortcut's sum and the
/// ReLU: as one call (<see cref="OpenBlasBackend.TryConvolutionForwardResidual"/>, the sum in the padded
/// direct kernel's registers or in the epilogue pass) against the separate calls it replaces (the
/// convolution with its batch-norm epilogue, an element-wise add, a ReLU pass), on CIFAR ResNet-20's three
/// block shapes (batch 128) and ResNet-18's 56×56×64 (Winograd) and 7×7×512 (several samples per product)
/// at batch 16. One worker, as <c>--quick-infer</c> measures.
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*ConvolutionResidual*'</c>.
/// </summary>
public class ConvolutionResidualBenchmarks
{
    /// <summary>(name: model-size×size×channels) of 3×3 stride-1 pad-1 layers with as many filters as channels.</summary>
    public static IEnumerable<string> Layers() => ["resnet20-32x32x16", "resnet20-16x16x32", "resnet20-8x8x64", "resnet18-56x56x64", "resnet18-7x7x512"];

    [ParamsSource(nameof(Layers))]
    public string Case { get; set; } = "";

    private OpenBlasBackend? _backend;
    private Tensor? _x, _w, _y, _scale, _shift, _residual;
    private ConvolutionGeometry? _geometry;
    private int _width;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new OpenBlasBackend();
        (int batch, int channels, int size) = Case switch
        {
            "resnet20-32x32x16" => (128, 16, 32),
            "resnet20-16x16x32" => (128, 32, 16),
            "resnet20-8x8x64" => (128, 64, 8),
            "resnet18-56x56x64" => (16, 64, 56),
            _ => (16, 512, 7),
        };
        _geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        var rng = new Random(1);
        Tensor Fill(Shape shape, double range)
        {
            Tensor t = _backend.Allocate(shape);
            _backend.CopyFromHost<float>(Enumerable.Range(0, (int)shape.ElementCount).Select(_ => (float)((rng.NextDouble() * 2 - 1) * range)).ToArray(), t);
            return t;
        }
        _x = Fill(new Shape(batch, channels, size, size), 1);
        _w = Fill(new Shape(channels, channels, 3, 3), 0.1);
        _y = Fill(new Shape(batch, channels, size, size), 1);
        _residual = Fill(new Shape(batch, channels, size, size), 1);
        _scale = Fill(new Shape(channels), 1);
        _shift = Fill(new Shape(channels), 1);
        _width = WorkerPool.Width;
        WorkerPool.Width = 1;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        WorkerPool.Width = _width;
        foreach (Tensor? t in new[] { _x, _w, _y, _scale, _shift, _residual })
        {
            t?.Dispose();
        }
        _backend?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Separate()
    {
        _backend!.ConvolutionForwardWithEpilogue(_geometry!, _x!, _w!, _y!, _scale!, _shift!);
        _backend.Binary(BinaryOp.Add, _y!, _residual!, _y!);
        _backend.ActivationForward(Activation.Relu, _y!, _y!);
    }

    [Benchmark]
    public bool InEpilogue() => _backend!.TryConvolutionForwardResidual(_geometry!, _x!, _w!, _scale!, _shift!, _residual!, Activation.Relu, 0, _y!);
}
