using System.Globalization;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// LeNet-5's two convolutions at inference batch 256 with bias + ReLU and the 2×2 max pooling after
/// them: <see cref="Separate"/> runs the convolution with its in-kernel epilogue and then the pooling
/// kernel over the full-size output (the reference path, <c>ENGINE_CONV_POOL=off</c>);
/// <see cref="Pooled"/> runs <see cref="ConvolutionPool"/>, which stores only the pooled output.
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*ConvolutionPool*'</c>;
/// <c>--quick-conv-pool [rounds]</c> alternates the two in one process and prints the fastest call of each.
/// </summary>
[MemoryDiagnoser]
public unsafe class ConvolutionPoolBenchmarks
{
    /// <summary>A layer: its name and its layout.</summary>
    public sealed record Layer(string Name, int Channels, int Filters, int Size, int Pad)
    {
        internal ConvolutionLayout Layout
        {
            get
            {
                var axis = new ConvolutionAxis(Size, Size + 2 * Pad - 4, 5, 1, Pad, 1);
                return new ConvolutionLayout(256, Channels, Filters, 1, ConvolutionAxis.Unit, axis, axis);
            }
        }

        public override string ToString() => Name;
    }

    /// <summary>conv1 (256,1,28,28)→6@5×5 pad 2 → pool to 14×14; conv2 (256,6,14,14)→16@5×5 → pool to 5×5.</summary>
    public static IEnumerable<Layer> Layers() => [new("lenet-conv1", 1, 6, 28, 2), new("lenet-conv2", 6, 16, 14, 0)];

    private static readonly PoolingGeometry Pool = new(PoolingMode.Max, new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]));

    [ParamsSource(nameof(Layers))]
    public Layer Case { get; set; } = null!;

    private float* _x, _w, _y, _pooled, _scale, _shift;
    private OpenBlasBackend? _backend;
    private ConvolutionWorkspace? _workspace;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new OpenBlasBackend(); // loads OpenBLAS, sizes the pool
        _workspace = new ConvolutionWorkspace();
        ConvolutionLayout l = Case.Layout;
        _x = QuickConvolution.Fill((long)l.Batch * l.Channels * l.InputSize);
        _w = QuickConvolution.Fill((long)l.Filters * l.GroupRows);
        _y = QuickConvolution.Fill((long)l.Batch * l.Filters * l.OutputSize);
        _pooled = QuickConvolution.Fill((long)l.Batch * l.Filters * l.OutputSize / 4);
        _scale = QuickConvolution.Fill(l.Filters);
        _shift = QuickConvolution.Fill(l.Filters);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (float* p in new[] { _x, _w, _y, _pooled, _scale, _shift })
        {
            NativeMemory.AlignedFree(p);
        }
        _workspace?.Release();
        _backend?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Separate() => RunSeparate(Case.Layout, _x, _w, _y, _pooled, _scale, _shift, _workspace!);

    [Benchmark]
    public void Pooled() => RunPooled(Case.Layout, _x, _w, _pooled, _scale, _shift);

    private static void RunSeparate(in ConvolutionLayout l, float* x, float* w, float* y, float* pooled, float* scale, float* shift, ConvolutionWorkspace workspace)
    {
        ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)x, (nint)w, (nint)y, workspace,
            new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0));
        var convolved = new Shape(l.Batch, l.Filters, l.Height.Output, l.Width.Output);
        PoolingKernels.Forward(PoolPlan.Create(Pool, convolved), Pool, DataType.Float32, (nint)y, (nint)pooled);
    }

    private static void RunPooled(in ConvolutionLayout l, float* x, float* w, float* pooled, float* scale, float* shift) =>
        ConvolutionPool.Forward(l, x, w, pooled, new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0));

    /// <summary>The two variants alternating call by call, the fastest of <paramref name="rounds"/> each (1 thread: its CPU clock; more: wall).</summary>
    public static void Quick(int rounds)
    {
        using var backend = new OpenBlasBackend(); // sizes the pool before the clock is chosen
        var bench = new ConvolutionPoolBenchmarks();
        bool wall = WorkerPool.Width > 1;
        foreach (Layer layer in Layers())
        {
            bench.Case = layer;
            bench.Setup();
            double[] best = [double.MaxValue, double.MaxValue];
            for (int r = 0; r < rounds; r++)
            {
                for (int v = 0; v < 2; v++)
                {
                    double start = QuickPacked.Now(wall);
                    if (v == 0)
                    {
                        bench.Separate();
                    }
                    else
                    {
                        bench.Pooled();
                    }
                    best[v] = Math.Min(best[v], (QuickPacked.Now(wall) - start) * 1e3);
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{layer.Name,-12} pool width {WorkerPool.Width} ({(wall ? "wall" : "thread CPU")} µs, min of {rounds}): conv+epilogue, then pooling {best[0],8:F1}; pooled in the kernel {best[1],8:F1} ({best[0] / best[1]:F2}x)"));
            bench.Cleanup();
        }
    }
}
