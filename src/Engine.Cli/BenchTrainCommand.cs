using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine bench train</c>: training images/s of a model (forward, loss on class labels, backward,
/// the trainer's on-backend loss and top-1 statistics, SGD update, and the statistics read at the
/// cadence <c>engine train</c> reads them) on real data-set batches that are loaded into backend
/// tensors before the clock starts, so it measures the engine rather than data loading; then
/// inference images/s, and optionally where a step's time goes layer by layer. The backend runs
/// behind a <see cref="CountingBackend"/>, so it also prints how many calls per training step made
/// the host wait for the device. Timings are printed, never asserted.
/// </summary>
internal static class BenchTrainCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Registered model name or JSON model file (a name not registered is also looked up as benchmarks/<name>.json)", DefaultValueFactory = _ => "lenet5" };
    private static readonly Option<int> Batch = new("--batch") { Description = "Training batch size", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> InferenceBatch = new("--inference-batch") { Description = "Inference batch size", DefaultValueFactory = _ => 256 };
    private static readonly Option<int> Steps = new("--steps") { Description = "Training steps per timed round", DefaultValueFactory = _ => 200 };
    private static readonly Option<int> Rounds = new("--repeat") { Description = "Timed rounds (best and median are printed)", DefaultValueFactory = _ => 5 };
    private static readonly Option<string> Dataset = new("--dataset") { Description = "Data-set loader name, or synthetic (random images of the model's default input size, for zoo models no bundled data set fits)", DefaultValueFactory = _ => "mnist" };
    private static readonly Option<string?> Data = new("--data") { Description = "Folder holding the data-set files (default: data/<dataset>)" };
    private static readonly Option<double> LearningRate = new("--lr") { Description = "SGD learning rate", DefaultValueFactory = _ => 0.05 };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, gpu, auto (a GPU if one is available, else the CPU), or a backend name", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<bool> Layers = new("--layers") { Description = "Also print forward and backward time per layer (per layer kind for a graph such as a ResNet)" };
    private static readonly Option<int?> Warmup = new("--warmup") { Description = "Untimed training steps first (default: half of --steps, at least 50, then more until the JIT has compiled nothing for 0.5 s, at most 20 s more)" };
    private static readonly Option<string?> Input = new("--input") { Description = "Per-sample input shape CxHxW for --dataset synthetic, e.g. 3x32x32 (default: the model's own)" };
    private static readonly Option<int> Held = new("--held") { Description = "Distinct batches held on the backend; the timed steps cycle through them (fewer keeps peak memory closer to the model's own)", DefaultValueFactory = _ => 32 };
    private static readonly Option<bool> NoCudaGraphs = new("--no-cuda-graphs") { Description = "On a GPU backend, time steps run op by op instead of replayed CUDA graphs" };
    private static readonly Option<bool> Upload = new("--upload") { Description = "Read each training batch from the data set and upload it every step, as engine train does (pinned, double-buffered staging on a GPU backend), instead of cycling through batches held on the backend" };
    private static readonly Option<bool> MemorySites = new("--memory") { Description = "Also print the backend memory still held after the run, by the place that allocated it (parameters, gradients, activations, ...)" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("train", "Time training steps and inference of a model on real batches")
        {
            Model, Batch, InferenceBatch, Steps, Rounds, Dataset, Data, LearningRate, Device, Layers, Warmup, Held, Input, NoCudaGraphs, Upload, MemorySites,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output)
    {
        int batch = Positive(result.GetValue(Batch), "--batch");
        int inferenceBatch = Positive(result.GetValue(InferenceBatch), "--inference-batch");
        int steps = Positive(result.GetValue(Steps), "--steps");
        int rounds = Positive(result.GetValue(Rounds), "--repeat");
        int held = Positive(result.GetValue(Held), "--held");
        int? fixedWarmup = result.GetValue(Warmup) is int w ? Positive(w, "--warmup") : null;
        int warmup = fixedWarmup ?? Math.Max(steps / 2, 50);
        string datasetName = result.GetValue(Dataset)!;
        string dataFolder = result.GetValue(Data) ?? Path.Combine("data", datasetName);

        var options = new EngineHostOptions();
        options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(options);
        using IBackend device = host.CreateBackend(result.GetValue(Device)!);
        string? precision = result.GetValue(EngineCli.Precision);
        PrecisionChoice.RequireSupport(precision, device);
        using LossScaler? scaler = PrecisionChoice.LossScaler(precision);
        using AllocationLedger? ledger = result.GetValue(MemorySites) ? new AllocationLedger(device) : null;
        using var backend = new CountingBackend((IBackend?)ledger ?? device);
        string modelName = result.GetValue(Model)!;
        ModelSpec spec = ResolveModel(host, modelName);
        bool synthetic = datasetName == "synthetic";
        ImageDataset? loaded = synthetic ? null : host.LoadDataset(datasetName, dataFolder).Train;
        string? input = result.GetValue(Input);
        Shape sampleShape = loaded?.SampleShape ?? (input is null ? SyntheticInput(host, modelName) : SummaryCommand.ParseShape(input));
        using Network network = host.BuildNetwork(spec, backend, sampleShape, seed: 1);
        ImageDataset train = loaded ?? new SyntheticImages(sampleShape, network.OutputShape[0], Math.Max(batch, inferenceBatch) * held);
        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = result.GetValue(LearningRate) });

        output.WriteLine($"backend   {backend.Name}: {backend.Description}");
        output.WriteLine($"env       OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}, OPENBLAS_NUM_THREADS={Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS") ?? "(unset)"}, {Environment.ProcessorCount} logical CPUs");
        output.WriteLine($"model     {network.Name}: {string.Join(" → ", network.Layers.Select(l => l.Kind))}; {network.ParameterCount:N0} parameters");
        output.WriteLine($"fusion    {network.FusedTrainingLayerCount} activation layers run inside the layer before them in training, {network.FusedInferenceLayerCount} layers in inference");

        using var trainBatches = new BenchBatches(backend, train, batch, held);
        // --upload: batch i is read from the data set and uploaded in the step, as engine train does.
        using BatchLoader? loader = result.GetValue(Upload) ? new BatchLoader(backend, train, batch) : null;
        int[] indices = new int[batch];
        (Tensor Inputs, Tensor Labels) TrainBatch(int i)
        {
            if (loader is null)
            {
                return trainBatches[i];
            }
            for (int k = 0; k < batch; k++)
            {
                indices[k] = (int)(((long)i * batch + k) % train.Count);
            }
            return loader.Load(indices);
        }
        // The device's own clock around each timed step (GPU backends): busy, and idle before it.
        IStepTiming? timing = steps <= MaxTimedSteps ? device as IStepTiming : null;
        bool timingSteps = false;
        var stepTimes = new List<StepTime>();
        using var inferenceBatches = new BenchBatches(backend, train, inferenceBatch, Math.Min(4, held));
        using var statistics = new TrainingStatistics(backend);
        int stepsPerEpoch = (train.Count + batch - 1) / batch;
        var cadence = new ReportCadence(TrainingRun.ProgressInterval(stepsPerEpoch), new TrainingOptions().ProgressMinInterval);
        long globalStep = 0;

        // The trainer's step (Trainer.Fit) without data loading: statistics stay on the backend and
        // are read only when engine train would refresh its progress line.
        // With CUDA graphs (the default on a GPU backend) as in engine train: the batch is copied into
        // the graph's input tensors and the step replayed after an update pass (StepGraph).
        // fp16's loss scaler reads the gradients' finiteness on the host every step, which a graph cannot hold.
        using StepGraph? graph = StepGraph.Create(backend, result.GetValue(NoCudaGraphs) || scaler is not null ? null : device as IStepCapture, optimizer);
        if (device is IStepCapture)
        {
            output.WriteLine($"graphs    {(graph is null ? (scaler is null ? "off (--no-cuda-graphs): op by op" : "off (fp16 loss scaling reads the host every step): op by op") : $"CUDA graphs: a step captured after {StepGraph.WarmupSteps} warm-up steps, then replayed")}");
        }
        (Tensor Loss, Tensor Output) WholeStep(Tensor x, Tensor labels)
        {
            Tensor y = network.Forward(x, training: true);
            LossOutput l = loss.Compute(y, labels);
            scaler?.ScaleGradient(l.Gradient);
            network.Backward(l.Gradient);
            statistics.Add(l.Value, y, labels, globalStep);
            if (scaler?.Unscale(network.Parameters) != false) // fp16: one host read per step, as the trainer's
            {
                optimizer.Step(network.Parameters);
            }
            return (l.Value, y);
        }
        void TrainStep(int i)
        {
            var (x, labels) = TrainBatch(i);
            ++globalStep;
            if (timingSteps)
            {
                timing!.BeginStep();
            }
            if (graph is null)
            {
                WholeStep(x, labels);
            }
            else
            {
                graph.Run(x, labels, fullBatch: true, WholeStep, (value, y, l) =>
                {
                    statistics.Add(value, y, l, globalStep);
                    optimizer.Step(network.Parameters);
                });
            }
            if (timingSteps)
            {
                timing!.EndStep();
            }
            int step = (int)((globalStep - 1) % stepsPerEpoch) + 1;
            if (cadence.Due(step, step == stepsPerEpoch))
            {
                statistics.Read();
            }
            if (step == stepsPerEpoch)
            {
                statistics.Reset();
            }
        }
        void InferenceStep(int i) => network.Forward(inferenceBatches[i].Inputs, training: false);

        // Warm-up: JIT (tiered compilation reaches its optimised code after some calls), workspace growth, thread start;
        // without --warmup, on until the JIT is quiet (BenchWarmUp).
        Loop(TrainStep, warmup, backend);
        Loop(InferenceStep, 20, backend);
        string warmupNote = "";
        if (fixedWarmup is null)
        {
            (int more, bool settled) = BenchWarmUp.UntilJitQuiet(TrainStep, InferenceStep, warmup, BenchWarmUp.Quiet, BenchWarmUp.Limit);
            warmup += more;
            warmupNote = settled ? " (until the JIT compiled nothing for 0.5 s)" : " (the JIT was still compiling after 20 s more)";
            backend.Synchronize();
        }
        long compiledBefore = BenchWarmUp.CompiledMethods;

        // Device memory (GPU backends): what the allocator holds after warm-up, to compare with the end.
        IDeviceMemoryStatistics? memory = DeviceMemory(backend);
        (long InUse, long Reserved, long Allocations) warm = memory is null ? default : (memory.BytesInUse, memory.BytesReserved, memory.DeviceAllocations);
        var trainRates = new double[rounds];
        var trainCpu = new double[rounds];
        var inferenceRates = new double[rounds];
        int inferenceSteps = Math.Max(10, steps * batch / inferenceBatch / 2);
        using var process = Process.GetCurrentProcess();
        long trainSyncs = 0, trainReads = 0;
        for (int r = 0; r < rounds; r++)
        {
            // CPU time of all the process's threads: on a machine shared with other work it shows
            // the work done per step even when wall-clock rates are spoilt by descheduling.
            process.Refresh();
            TimeSpan cpu = process.TotalProcessorTime;
            backend.ResetCounts();
            timingSteps = timing is not null;
            trainRates[r] = (double)steps * batch / Loop(TrainStep, steps, backend);
            timingSteps = false;
            stepTimes.AddRange(timing?.ReadStepTimes() ?? []);
            trainSyncs += backend.HostSyncs - 1; // not the round's closing Synchronize: the clock's, not a step's
            trainReads += backend.HostReads;
            process.Refresh();
            trainCpu[r] = (process.TotalProcessorTime - cpu).TotalMilliseconds / steps;
            inferenceRates[r] = (double)inferenceSteps * inferenceBatch / Loop(InferenceStep, inferenceSteps, backend);
        }
        long compiledInRounds = BenchWarmUp.CompiledMethods - compiledBefore;
        double syncsPerStep = (double)trainSyncs / ((long)rounds * steps);
        float[] lossValue = new float[1];
        backend.CopyToHost<float>(loss.Compute(network.Forward(trainBatches[0].Inputs, true), trainBatches[0].Labels).Value, lossValue);

        output.WriteLine(FormattableString.Invariant($"training  batch {batch}: {Median(trainRates):F0} images/s median, {trainRates.Max():F0} best of {rounds} rounds of {steps} steps (loss after {warmup + rounds * steps} steps {lossValue[0]:F4})"));
        output.WriteLine(FormattableString.Invariant($"cpu time  {Median(trainCpu):F3} ms per training step median, {trainCpu.Min():F3} least (all threads)"));
        output.WriteLine(FormattableString.Invariant($"warm-up   {warmup} training steps{warmupNote}; the JIT compiled {compiledInRounds} methods during the timed rounds"));
        output.WriteLine(FormattableString.Invariant($"inference batch {inferenceBatch}: {Median(inferenceRates):F0} images/s median, {inferenceRates.Max():F0} best"));
        output.WriteLine(FormattableString.Invariant($"host syncs {syncsPerStep:F4} per training step ({trainReads} host reads and {trainSyncs - trainReads} synchronisations in {rounds * steps} steps, each round's closing synchronisation left out; progress read every {cadence.Interval} steps, at most every {cadence.MinimumTime.TotalMilliseconds:F0} ms)"));
        double? idleMs = null;
        if (stepTimes.Count > 0)
        {
            // Each round's first step has no previous step on the clock: its idle time (0) is left out.
            double[] idle = stepTimes.Where((_, k) => k % steps != 0).Select(t => t.IdleMilliseconds).ToArray();
            double[] busy = stepTimes.Select(t => t.BusyMilliseconds).ToArray();
            idleMs = idle.Length > 0 ? Median(idle) : 0;
            double period = idleMs.Value + Median(busy);
            output.WriteLine(FormattableString.Invariant($"gpu idle  {idleMs:F3} ms per training step median ({(period > 0 ? 100 * idleMs.Value / period : 0):F1}% of the step), busy {Median(busy):F3} ms median, {(loader is null ? "batches held on the device" : "batches loaded and uploaded each step")} (device events around each of {stepTimes.Count} steps: idle is the gap between one step's end and the next one's start)"));
        }
        if (scaler is not null)
        {
            output.WriteLine($"precision fp16: {scaler.Description} (the overflow check reads one value per step)");
        }
        if (memory is not null)
        {
            const double MiB = 1 << 20;
            output.WriteLine(FormattableString.Invariant($"device    memory in use {warm.InUse / MiB:F1} MiB after warm-up, {memory.BytesInUse / MiB:F1} MiB after {rounds * steps} more training steps; peak {memory.PeakBytesInUse / MiB:F1} MiB; reserved {warm.Reserved / MiB:F1} → {memory.BytesReserved / MiB:F1} MiB; device allocations during the timed rounds {memory.DeviceAllocations - warm.Allocations}"));
        }
        if (PeakResidentMiB() is double peak)
        {
            output.WriteLine(FormattableString.Invariant($"memory    peak resident set {peak:F0} MiB (VmHWM: the whole process, held batches included)"));
        }
        if (ledger is not null)
        {
            PrintMemorySites(ledger, output);
        }
        output.WriteLine(FormattableString.Invariant($"result    train_images_per_s={Median(trainRates):F0} train_best={trainRates.Max():F0} train_cpu_ms={trainCpu.Min():F3} inference_images_per_s={Median(inferenceRates):F0} host_syncs_per_step={syncsPerStep:F4}{(idleMs is double ms ? FormattableString.Invariant($" gpu_idle_ms_per_step={ms:F3}") : "")}"));

        if (result.GetValue(Layers))
        {
            BenchLayerProfile.Print(network, loss, optimizer, trainBatches, steps, output);
        }
        return 0;
    }

    /// <summary>Steps per round the device can time (the shim keeps that many event pairs).</summary>
    private const int MaxTimedSteps = 4096;

    /// <summary>A registered model, a JSON file, or (for a name nothing registers) benchmarks/&lt;name&gt;.json.</summary>
    /// <summary>The default input of a registered model (the zoo's ImageNet models: 3×224×224).</summary>
    private static Shape SyntheticInput(EngineHost host, string modelName) =>
        host.Catalog.Models.FirstOrDefault(m => string.Equals(m.Name, modelName, StringComparison.OrdinalIgnoreCase))?.DefaultInput
        ?? throw new ConfigurationException($"--dataset synthetic: model '{modelName}' has no default input size (give --input, e.g. 3x32x32, or a data set)");

    private static ModelSpec ResolveModel(EngineHost host, string name)
    {
        try
        {
            return host.ResolveModel(name);
        }
        catch (ConfigurationException) when (File.Exists(Path.Combine("benchmarks", name + ".json")))
        {
            return host.ResolveModel(Path.Combine("benchmarks", name + ".json"));
        }
    }

    /// <summary>Runs <paramref name="step"/> <paramref name="count"/> times and returns the seconds taken.</summary>
    private static double Loop(Action<int> step, int count, IBackend backend)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            step(i);
        }
        backend.Synchronize();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The memory figures of the backend, or of the backend a decorator (the counting one) wraps.</summary>
    private static IDeviceMemoryStatistics? DeviceMemory(IBackend backend) => backend switch
    {
        IDeviceMemoryStatistics statistics => statistics,
        BackendDecorator decorator => DeviceMemory(decorator.Inner),
        _ => null,
    };

    private static void PrintMemorySites(AllocationLedger ledger, TextWriter output)
    {
        const double MiB = 1 << 20;
        IReadOnlyList<(string Site, long Bytes, int Tensors)> sites = ledger.Live();
        output.WriteLine(FormattableString.Invariant($"memory    backend tensors held: {sites.Sum(s => s.Bytes) / MiB:F1} MiB in {sites.Sum(s => s.Tensors)} tensors, by allocation site:"));
        foreach (var (site, bytes, tensors) in sites)
        {
            output.WriteLine(FormattableString.Invariant($"          {bytes / MiB,9:F1} MiB {tensors,5} × {site}"));
        }
    }

    /// <summary>The process's peak resident set (Linux /proc/self/status VmHWM), or null elsewhere.</summary>
    private static double? PeakResidentMiB()
    {
        const string status = "/proc/self/status";
        string? line = File.Exists(status) ? File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) : null;
        return line is not null && long.TryParse(line["VmHWM:".Length..].Trim().Split(' ')[0], out long kib) ? kib / 1024.0 : null;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static int Positive(int value, string option) =>
        value > 0 ? value : throw new ConfigurationException($"{option} must be a positive integer, got {value}");
}
