using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine bench layers</c>: forward and backward time of the reference layer shapes, with GFLOP/s
/// for convolutions as a share of the machine's FP32 FMA peak (<see cref="FmaPeak"/>) and of the
/// sgemm rate, both measured at the start of the same run; memory-bound cases show GB/s of the
/// least traffic they need and its share of the memory bandwidth (<see cref="MemoryBandwidth"/>),
/// measured at the start too, on the cases' thread count. <c>--compare-torch</c> adds PyTorch's figure for each case
/// (<see cref="TorchLayerReference"/>). Medians of several repetitions after a warm-up; nothing here is asserted.
/// </summary>
internal static class BenchCommand
{
    private static readonly Option<int> Repeat = new("--repeat") { Description = "Timed repetitions per case (the median is printed)", DefaultValueFactory = _ => 5 };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, gpu, auto (a GPU if one is available, else the CPU), or a backend name", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<string?> Only = new("--only") { Description = "Run only the cases whose name contains this text" };
    private static readonly Option<bool> CompareTorch = new("--compare-torch") { Description = "Also time each case with PyTorch (python3-torch, benchmarks/layers_torch.py) and print the ratio" };
    private static readonly Option<bool> CpuTime = new("--cpu-time") { Description = "Time by the process's CPU clock and print the least of the repetitions, PyTorch's too (for a loaded machine; run with one thread)" };
    private static readonly Option<string?> TorchScript = new("--torch-script") { Description = "Path of layers_torch.py (default: benchmarks/layers_torch.py above the working folder or the engine)" };

    /// <summary>
    /// A benchmark case: a one-layer model on an input of shape N×sample. Convolutions count their
    /// forward FLOPs (forward+backward is 3× that); memory-bound layers count the bytes forward and
    /// backward must at least read and write (FP32).
    /// </summary>
    private sealed record Case(string Name, int Batch, Shape Sample, LayerSpec Layer, double ForwardFlops, double MinimumBytes = 0);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var layers = new Command("layers", "Time forward and backward of the reference layer shapes") { Repeat, Device, Only, CompareTorch, CpuTime, TorchScript };
        layers.SetAction(result => EngineCli.Guard(error, () => RunLayers(result, output)));
        return new Command("bench", "Benchmarks (timings are reported, never asserted)") { layers, BenchTrainCommand.Create(output, error) };
    }

    private static IEnumerable<Case> Cases()
    {
        static Case Conv(int n, int c, int h, int w, int k, int r, int s, int p)
        {
            int oh = (h + 2 * p - r) / s + 1, ow = (w + 2 * p - r) / s + 1;
            var args = new JsonObject { ["filters"] = k, ["kernel"] = r, ["stride"] = s, ["padding"] = p };
            return new Case($"conv ({n},{c},{h},{w})->{k}@{r}x{r} s{s} p{p}", n, new Shape(c, h, w), new LayerSpec("conv2d", args),
                2.0 * n * k * c * r * r * oh * ow);
        }
        yield return Conv(64, 1, 28, 28, 6, 5, 1, 2);
        yield return Conv(64, 6, 14, 14, 16, 5, 1, 0);
        yield return Conv(32, 3, 32, 32, 32, 3, 1, 1);
        yield return Conv(32, 64, 56, 56, 64, 3, 1, 1);
        yield return Conv(8, 3, 224, 224, 64, 7, 2, 3);
        yield return Conv(16, 128, 28, 28, 128, 3, 1, 1);
        const double elements = 32.0 * 64 * 56 * 56;
        // Pool: forward reads x, writes y (¼); backward reads dy (¼) and x, writes dx.
        yield return new Case("max-pool 2x2 s2 (32,64,56,56)", 32, new Shape(64, 56, 56), new LayerSpec("max_pool2d", new JsonObject { ["pool"] = 2 }), 0,
            4 * elements * (1.25 + 2.25));
        // Other windows: forward reads x and writes y; backward reads dy (and x for max), writes dx.
        static Case Pool(string kind, int n, int c, int h, int w, int r, int s, int p, bool readsX)
        {
            int oh = (h + 2 * p - r) / s + 1, ow = (w + 2 * p - r) / s + 1;
            double input = (double)n * c * h * w, output = (double)n * c * oh * ow;
            var args = new JsonObject { ["pool"] = r, ["stride"] = s, ["padding"] = p };
            return new Case($"{kind}-pool {r}x{r} s{s} p{p} ({n},{c},{h},{w})", n, new Shape(c, h, w), new LayerSpec($"{kind}_pool2d", args), 0,
                4 * (input + output + output + input + (readsX ? input : 0)));
        }
        yield return Pool("max", 16, 64, 112, 112, 3, 2, 1, readsX: true);
        yield return Pool("max", 32, 192, 28, 28, 3, 1, 1, readsX: true);
        yield return Pool("avg", 32, 192, 28, 28, 3, 1, 1, readsX: false);
        yield return Pool("avg", 16, 64, 112, 112, 3, 2, 1, readsX: false);
        yield return new Case("global avg-pool (32,512,7,7)", 32, new Shape(512, 7, 7), new LayerSpec("global_avg_pool"), 0, 4 * 32.0 * 512 * 49 * 2);
        // Batch norm: forward reads x, writes y; backward reads dy and x, writes dx.
        yield return new Case("batch norm (32,64,56,56)", 32, new Shape(64, 56, 56), new LayerSpec("batch_norm"), 0, 4 * elements * 5);
        // ReLU: forward reads x, writes y; backward reads dy and y, writes dx.
        yield return new Case("relu (32,64,56,56)", 32, new Shape(64, 56, 56), new LayerSpec("relu"), 0, 4 * elements * 5);
        yield return new Case("dense (128,512)->1000", 128, new Shape(512), new LayerSpec("dense", new JsonObject { ["units"] = 1000 }), 2.0 * 128 * 512 * 1000);
    }

    private static int RunLayers(ParseResult result, TextWriter output)
    {
        int repeat = Math.Max(1, result.GetValue(Repeat));
        var options = new EngineHostOptions();
        options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(options);
        using IBackend backend = host.CreateBackend(result.GetValue(Device)!);
        output.WriteLine($"backend {backend.Name}: {backend.Description}");
        bool cpuTime = result.GetValue(CpuTime);
        output.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; {(cpuTime ? "least process CPU time" : "median")} of {repeat} after a warm-up (up to {WarmUpPasses} passes or {WarmUpTime.TotalSeconds:F0} s)");

        double peak = FmaPeak.Measure(3);
        output.WriteLine(FormattableString.Invariant($"FP32 FMA peak: {peak:F1} GFLOP/s ({Environment.ProcessorCount} threads, {FmaPeak.WidthBits}-bit vectors)"));
        int threads = WorkerThreads();
        double bandwidth = MemoryBandwidth.Measure(threads, 10, cpuTime);
        output.WriteLine(FormattableString.Invariant($"memory bandwidth: {bandwidth:F1} GB/s (copy {MemoryBandwidth.Elements * 4 >> 20} MB -> {MemoryBandwidth.Elements * 4 >> 20} MB, plain vector loads and stores, read + written bytes; {threads} thread{(threads == 1 ? "" : "s")}{(cpuTime ? ", by process CPU time" : "")})"));
        double sgemm = SgemmRate(backend, repeat);
        output.WriteLine(FormattableString.Invariant($"sgemm 1024x1024x1024: {sgemm:F1} GFLOP/s ({sgemm / peak:P0} of peak)"));
        output.WriteLine("convolutions: f+b GF/s = 3 x forward FLOPs / (fwd + bwd); pooling and batch norm: GB/s of the least f+b traffic (bytes read + written), of bw = share of the memory bandwidth");
        output.WriteLine();
        string? only = result.GetValue(Only);
        Case[] cases = Cases().Where(c => only is null || c.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToArray();
        var extensions = new Stopwatch(); // runs only during the cases' JIT-quiet warm-up extensions
        var timings = cases.Select(c => Time(host, backend, c, repeat, cpuTime, extensions)).ToArray();
        Dictionary<string, (double Forward, double Backward)>? torch = result.GetValue(CompareTorch)
            ? TorchLayerReference.Run(result.GetValue(TorchScript), only, repeat, WorkerThreads(), cpuTime)
            : null;
        string header = $"{"case",-38} {"fwd ms",9} {"bwd ms",9} {"f+b GF/s",9} {"of peak",8} {"of sgemm",9} {"f+b GB/s",9} {"of bw",6}";
        output.WriteLine(torch is null ? header : $"{header} {"torch fwd",10} {"torch bwd",10} {"vs torch",9}");
        for (int i = 0; i < cases.Length; i++)
        {
            Case c = cases[i];
            var (forward, backward) = timings[i];
            double total = forward + backward;
            string line = c.ForwardFlops > 0
                ? FormattableString.Invariant($"{c.Name,-38} {forward,9:F2} {backward,9:F2} {3 * c.ForwardFlops / total / 1e6,9:F1} {3 * c.ForwardFlops / total / 1e6 / peak,8:P0} {3 * c.ForwardFlops / total / 1e6 / sgemm,9:P0} {"",9} {"",6}")
                : FormattableString.Invariant($"{c.Name,-38} {forward,9:F2} {backward,9:F2} {"",9} {"",8} {"",9} {c.MinimumBytes / total / 1e6,9:F1} {c.MinimumBytes / total / 1e6 / bandwidth,6:P0}");
            if (torch is not null)
            {
                // "vs torch": PyTorch's f+b time over the engine's (above 1: the engine is faster).
                line += torch.TryGetValue(c.Name, out var t)
                    ? FormattableString.Invariant($" {t.Forward,10:F2} {t.Backward,10:F2} {(t.Forward + t.Backward) / total,8:F2}x")
                    : $" {"-",10} {"-",10} {"-",9}";
            }
            output.WriteLine(line.TrimEnd());
        }
        return 0;
    }

    private const int WarmUpPasses = 20;
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(1);

    /// <summary>The most a case's warm-up is extended while the JIT keeps compiling (a busy machine still gets measured).</summary>
    private static readonly TimeSpan CaseWarmUpLimit = TimeSpan.FromSeconds(5);

    /// <summary>The most all cases' extensions take together (a test process whose JIT never rests runs the cases in seconds): once spent, cases get the fixed warm-up only.</summary>
    private static readonly TimeSpan WarmUpBudget = TimeSpan.FromSeconds(20);

    // Forward and backward (data and filter) milliseconds, medians.
    private static (double Forward, double Backward) Time(EngineHost host, IBackend backend, Case c, int repeat, bool cpuTime, Stopwatch extensions)
    {
        var spec = new ModelSpec(c.Name, [c.Layer]);
        using Network net = host.BuildNetwork(spec, backend, c.Sample, seed: 1);
        // Backward includes the input gradient (PyTorch's figure does too): a one-layer network would
        // otherwise skip it, and a pooling layer's backward would be nothing at all.
        net.ComputeInputGradient = true;
        using Tensor x = backend.Allocate(c.Sample.WithBatch(c.Batch));
        using Tensor dy = backend.Allocate(net.OutputShape.WithBatch(c.Batch));
        backend.FillRandom(x, RandomDistribution.Normal, 0, 1, 1);
        backend.FillRandom(dy, RandomDistribution.Normal, 0, 1, 2);
        // Warm-up until the kernels run at their steady speed: .NET compiles them in tiers, and a
        // few passes still run quick-jitted code (measured: ResNet-20 inference 236 ms a batch after
        // 2 passes, 142 after 20). Up to 20 passes or one second, whichever comes first.
        var warmUp = Stopwatch.StartNew();
        for (int i = 0; i < WarmUpPasses && (i == 0 || warmUp.Elapsed < WarmUpTime); i++)
        {
            net.Forward(x, training: true);
            net.Backward(dy);
        }
        // Then until the JIT is quiet: 20 passes of a small case take tens of milliseconds, less than
        // tiered compilation's 100 ms delay, so LeNet-size cases were timed on unoptimised code (measured:
        // LeNet-5 conv2's forward 0.57-0.73 ms against 0.17-0.32 with the JIT's tiers off; benchmarks/NOTES.md, "convfwd").
        TimeSpan left = WarmUpBudget - extensions.Elapsed;
        extensions.Start();
        BenchWarmUp.UntilJitQuiet(_ =>
        {
            net.Forward(x, training: true);
            net.Backward(dy);
        }, _ => { }, 0, BenchWarmUp.Quiet, left < CaseWarmUpLimit ? left : CaseWarmUpLimit);
        extensions.Stop();
        backend.Synchronize();
        var forward = new double[repeat];
        var backward = new double[repeat];
        double Now() => cpuTime ? Environment.CpuUsage.TotalTime.TotalMilliseconds : Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;
        for (int i = 0; i < repeat; i++)
        {
            double start = Now();
            net.Forward(x, training: true);
            backend.Synchronize();
            double middle = Now();
            forward[i] = middle - start;
            net.Backward(dy);
            backend.Synchronize();
            backward[i] = Now() - middle;
        }
        return cpuTime ? (forward.Min(), backward.Min()) : (Median(forward), Median(backward));
    }

    private static double SgemmRate(IBackend backend, int repeat)
    {
        const int n = 1024;
        using Tensor a = backend.Allocate(new Shape(n, n));
        using Tensor b = backend.Allocate(new Shape(n, n));
        using Tensor c = backend.Allocate(new Shape(n, n));
        backend.FillRandom(a, RandomDistribution.Uniform, -1, 1, 1);
        backend.FillRandom(b, RandomDistribution.Uniform, -1, 1, 2);
        backend.Gemm(false, false, 1, a, b, 0, c);
        var ms = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            backend.Gemm(false, false, 1, a, b, 0, c);
            backend.Synchronize();
            ms[i] = clock.Elapsed.TotalMilliseconds;
        }
        return 2.0 * n * n * n / Median(ms) / 1e6;
    }

    // The backend pool's width (OPENBLAS_NUM_THREADS, else the cores), so PyTorch gets as many threads.
    private static int WorkerThreads() =>
        int.TryParse(Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS"), out int n) && n > 0 ? n : Environment.ProcessorCount;

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
