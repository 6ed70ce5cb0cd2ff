using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine bench layers</c>: forward and backward time of the reference layer shapes, with GFLOP/s
/// for convolutions and, measured in the same run on the same backend, the sgemm rate they are
/// compared with. Medians of several repetitions after a warm-up; nothing here is asserted.
/// </summary>
internal static class BenchCommand
{
    private static readonly Option<int> Repeat = new("--repeat") { Description = "Timed repetitions per case (the median is printed)", DefaultValueFactory = _ => 5 };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, gpu, auto (a GPU if one is available, else the CPU), or a backend name", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<string?> Only = new("--only") { Description = "Run only the cases whose name contains this text" };

    /// <summary>A benchmark case: a one-layer model on an input of shape N×sample.</summary>
    private sealed record Case(string Name, int Batch, Shape Sample, LayerSpec Layer, double ForwardFlops);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var layers = new Command("layers", "Time forward and backward of the reference layer shapes") { Repeat, Device, Only };
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
        yield return new Case("max-pool 2x2 s2 (32,64,56,56)", 32, new Shape(64, 56, 56), new LayerSpec("max_pool2d", new JsonObject { ["pool"] = 2 }), 0);
        yield return new Case("batch norm (32,64,56,56)", 32, new Shape(64, 56, 56), new LayerSpec("batch_norm"), 0);
    }

    private static int RunLayers(ParseResult result, TextWriter output)
    {
        int repeat = Math.Max(1, result.GetValue(Repeat));
        var options = new EngineHostOptions();
        options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = EngineHost.Create(options);
        using IBackend backend = host.CreateBackend(result.GetValue(Device)!);
        output.WriteLine($"backend {backend.Name}: {backend.Description}");
        output.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; median of {repeat} after a warm-up");

        double sgemm = SgemmRate(backend, repeat);
        output.WriteLine(FormattableString.Invariant($"sgemm 1024x1024x1024: {sgemm:F1} GFLOP/s (reference rate)"));
        output.WriteLine();
        output.WriteLine($"{"case",-38} {"fwd ms",9} {"bwd ms",9} {"fwd GF/s",9} {"f+b GF/s",9} {"f+b/sgemm",10}");
        string? only = result.GetValue(Only);
        foreach (Case c in Cases().Where(c => only is null || c.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            var (forward, backward) = Time(host, backend, c, repeat);
            string line = c.ForwardFlops > 0
                ? FormattableString.Invariant($"{c.Name,-38} {forward,9:F2} {backward,9:F2} {c.ForwardFlops / forward / 1e6,9:F1} {3 * c.ForwardFlops / (forward + backward) / 1e6,9:F1} {3 * c.ForwardFlops / (forward + backward) / 1e6 / sgemm,10:P0}")
                : FormattableString.Invariant($"{c.Name,-38} {forward,9:F2} {backward,9:F2}");
            output.WriteLine(line);
        }
        return 0;
    }

    // Forward and backward (data and filter) milliseconds, medians.
    private static (double Forward, double Backward) Time(EngineHost host, IBackend backend, Case c, int repeat)
    {
        var spec = new ModelSpec(c.Name, [c.Layer]);
        using Network net = host.BuildNetwork(spec, backend, c.Sample, seed: 1);
        using Tensor x = backend.Allocate(c.Sample.WithBatch(c.Batch));
        using Tensor dy = backend.Allocate(net.OutputShape.WithBatch(c.Batch));
        backend.FillRandom(x, RandomDistribution.Normal, 0, 1, 1);
        backend.FillRandom(dy, RandomDistribution.Normal, 0, 1, 2);
        net.Forward(x, training: true);
        net.Backward(dy);
        var forward = new double[repeat];
        var backward = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            net.Forward(x, training: true);
            backend.Synchronize();
            forward[i] = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            net.Backward(dy);
            backend.Synchronize();
            backward[i] = clock.Elapsed.TotalMilliseconds;
        }
        return (Median(forward), Median(backward));
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

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
