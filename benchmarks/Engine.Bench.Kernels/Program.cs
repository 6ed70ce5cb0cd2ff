using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process (no generated project to build) with a short job: the machine is shared, so
// several short runs beat one long one. Pass BenchmarkDotNet's own arguments (--filter ...) through.
if (args.Length > 0 && args[0] == "--quick")
{
    Engine.Backend.OpenBlas.Bench.QuickMinimum.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300);
    return;
}
if (args.Length > 0 && args[0] == "--quick-fork-join")
{
    Engine.Backend.OpenBlas.Bench.ForkJoinBenchmarks.Quick(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20);
    return;
}
if (args.Length > 0 && args[0] == "--quick-conv")
{
    Engine.Backend.OpenBlas.Bench.QuickConvolution.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300);
    return;
}
if (args.Length > 0 && args[0] == "--quick-lenet-forward")
{
    Engine.Backend.OpenBlas.Bench.QuickLenetForward.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200);
    return;
}
if (args.Length > 0 && args[0] == "--quick-conv-forward")
{
    Engine.Backend.OpenBlas.Bench.QuickConvForward.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100, args.Length > 2 ? args[2] : null);
    return;
}
if (args.Length > 0 && args[0] == "--quick-conv-pool")
{
    Engine.Backend.OpenBlas.Bench.ConvolutionPoolBenchmarks.Quick(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200);
    return;
}
if (args.Length > 0 && args[0] == "--quick-packed")
{
    Engine.Backend.OpenBlas.Bench.QuickPacked.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20, args.Contains("--wall"));
    return;
}
if (args.Length > 0 && args[0] == "--quick-resnet")
{
    Engine.Backend.OpenBlas.Bench.QuickBigConvolution.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10);
    return;
}
if (args.Length > 0 && args[0] == "--quick-winograd")
{
    Engine.Backend.OpenBlas.Bench.QuickWinograd.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1, args.Length > 3 ? args[3] : null);
    return;
}
if (args.Length > 0 && args[0] == "--quick-residual")
{
    Engine.Backend.OpenBlas.Bench.QuickResidual.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10);
    return;
}
if (args.Length > 0 && args[0] == "--quick-infer")
{
    Engine.Backend.OpenBlas.Bench.QuickInference.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1, args.Length > 3 ? args[3] : null,
        args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 0);
    return;
}
if (args.Length > 0 && args[0] == "--quick-backward")
{
    Engine.Backend.OpenBlas.Bench.QuickBatchedBackward.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 0);
    return;
}
if (args.Length > 0 && args[0] == "--quick-train-convs")
{
    Engine.Backend.OpenBlas.Bench.QuickTrainConvolutions.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1, args.Length > 3 ? args[3] : null,
        args.Length > 4 && args[4] == "epilogue");
    return;
}
if (args.Length > 0 && args[0] == "--quick-rowfv")
{
    Engine.Backend.OpenBlas.Bench.QuickRowFilter.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10,
        args.Length > 2 && args[2] != "all" ? args[2] : null, args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1,
        args.Length > 4 && args[4] == "prefetch");
    return;
}
if (args.Length > 0 && args[0] == "--quick-padded")
{
    Engine.Backend.OpenBlas.Bench.QuickPadded.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10, args.Length > 2 ? args[2] : null);
    return;
}
if (args.Length > 0 && args[0] == "--quick-phase-rows")
{
    Engine.Backend.OpenBlas.Bench.PhaseRowBenchmarks.Quick(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10, args.Length > 2 ? args[2] : null);
    return;
}
if (args.Length > 0 && args[0] == "--quick-split-layers")
{
    int splitRounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
    if (args.Length > 2)
    {
        Engine.Backend.OpenBlas.Bench.QuickSplitLayers.RunTiles(splitRounds, [.. args[2].Split(',').Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture))]);
    }
    else
    {
        Engine.Backend.OpenBlas.Bench.QuickSplitLayers.Run(splitRounds);
    }
    return;
}
if (args.Length > 0 && args[0] == "--quick-deep")
{
    Engine.Backend.OpenBlas.Bench.QuickDeepLayers.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1);
    return;
}
if (args.Length > 0 && args[0] == "--quick-pool-s2")
{
    Engine.Backend.OpenBlas.Bench.QuickPoolStride2.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
    return;
}
if (args.Length > 0 && args[0] == "--quick-pool-s1")
{
    Engine.Backend.OpenBlas.Bench.QuickPoolStride1.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
    return;
}
if (args.Length > 0 && args[0] == "--quick-layers")
{
    Engine.Backend.OpenBlas.Bench.QuickLayerKernels.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
    return;
}
var config = DefaultConfig.Instance.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("InProcessShort"));
BenchmarkSwitcher.FromAssembly(typeof(Engine.Backend.OpenBlas.Bench.SmallGemmBenchmarks).Assembly).Run(args, config);
