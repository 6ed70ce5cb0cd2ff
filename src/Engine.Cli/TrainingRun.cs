using Engine.Core;
using Engine.Core.Distributed;
using Engine.Host;
using Engine.Visualization;

namespace Engine.Cli;

/// <summary>
/// One <c>engine train</c> run once its data and model are known: builds the network (initial
/// weights, frozen parameters), the optimiser, schedule and clipping, then trains, or
/// cross-validates, and writes the files asked for.
/// </summary>
internal sealed class TrainingRun(EngineHost host, IBackend backend, LayerFallback? fallback, ModelSpec spec, TrainSettings settings, TrainingDataSetup data, ILoss loss, TextWriter output, ICommunicator? group = null)
{
    // Rank 0 of a distributed run (or the one process) writes metrics, curves and step logs.
    private bool Root => group is null || group.Rank == 0;

    public int Train(System.Text.Json.Nodes.JsonObject metadata, CancellationToken cancellation)
    {
        int stepsPerEpoch = StepsPerEpoch(data.Train.Count);
        using Network network = BuildNetwork(report: true);
        SizeLimits.CheckBatch(network, settings.BatchSize, "--batch-size", training: true);
        using IOptimizer optimizer = host.CreateOptimizer(settings.Optimizer, settings.EffectiveOptimizerArguments());
        using GradientClipping? clipping = Clipping();
        using LossScaler? scaler = PrecisionChoice.LossScaler(settings.Precision);
        var options = Options(stepsPerEpoch, clipping, scaler) with
        {
            Metadata = metadata,
            CheckpointPath = settings.Checkpoint ?? settings.Resume,
            ReplaceForeignCheckpoint = settings.Force,
        };
        CreateParentFolder(options.CheckpointPath);
        CreateParentFolder(settings.Metrics);
        CreateParentFolder(settings.Curves);
        CreateParentFolder(settings.LogSteps);
        using StepLog? stepLog = settings.LogSteps is string log && Root ? new StepLog(log) : null;
        if (stepLog is not null)
        {
            options = options with { ProgressInterval = 1, ProgressMinInterval = TimeSpan.Zero }; // a line per step: a read per step
        }
        output.WriteLine($"checked   {RunCapabilities.Check(network, loss, optimizer, options.Regularizer, clipping).Summary}");
        if (group is not null)
        {
            options = options with { Distributed = new DistributedOptions(group) { SyncBatchNorm = settings.SyncBn } };
            output.WriteLine(TrainCommand.Invariant($"ranks     {group.Size} ({DistributedGroup.Describe(group)}), {settings.BatchSize / Math.Max(1, group.Size)} examples per rank per step, ")
                + (settings.ReductionShards is null ? "gradients summed in buckets during backward" : "gradients summed in the shard tree")
                + (settings.SyncBn ? ", batch-norm statistics summed over the ranks" : "") + ", evaluation split across the ranks");
        }
        if (settings.ReductionShards is int shards)
        {
            output.WriteLine(TrainCommand.Invariant($"shards    {shards} of {settings.BatchSize / shards} examples per batch, each its own forward/backward; gradients added in a fixed tree (the same bits on any rank count)"));
            if (spec.Layers.Any(l => l.Kind == "batch_norm"))
            {
                output.WriteLine(TrainCommand.Invariant($"warning: --reduction-shards {shards}: batch norm normalises each shard of {settings.BatchSize / shards} examples on its own (ghost batch norm), not the batch of {settings.BatchSize}"));
            }
        }
        var trainer = new Trainer(network, loss, optimizer, options);
        output.WriteLine(TrainCommand.Invariant($"training  {settings.Epochs} epoch(s) of {stepsPerEpoch} steps, batch {settings.BatchSize}, {optimizer.Name} {OptimizerText()}, schedule {trainer.Schedule.Description}, seed {settings.Seed}")
            + (clipping is null ? "" : $", clipping {clipping.Description}") + (scaler is null ? "" : ", dynamic loss scaling (fp16)"));
        if (settings.Resume is string resume)
        {
            ResumeCheck.Compatible(resume, metadata, settings.BatchSize, settings.AllowChanges, output);
            trainer.Resume(resume);
            output.WriteLine($"resumed   from {resume} after epoch {trainer.CompletedEpochs} (step {trainer.GlobalStep})");
        }

        var view = TrainingProgressView.For(output, settings.Progress);
        using Dashboard.DashboardServer? dashboard = settings.Dashboard is string where
            ? Dashboard.DashboardServer.StartAsync(Dashboard.DashboardServer.ParseEndPoint(where)).GetAwaiter().GetResult()
            : null;
        Dashboard.DashboardFeed? feed = dashboard is null ? null : new Dashboard.DashboardFeed(dashboard, network, data.Test, settings.Epochs);
        if (dashboard is not null)
        {
            output.WriteLine($"dashboard {dashboard.Address} (live curves, filters, confusion matrix; read-only)");
        }
        trainer.Progress = new DirectProgress<StepReport>(r =>
        {
            stepLog?.Write(r);
            feed?.OnStep(r);
            view.OnStep(r);
        });
        trainer.EpochCompleted = r =>
        {
            view.OnEpoch(r, settings.Epochs);
            feed?.OnEpoch(r);
            if (group is not null)
            {
                output.WriteLine(TrainCommand.Invariant($"comms     {trainer.TakeCommunicationTime().TotalMilliseconds / stepsPerEpoch:F2} ms/step waiting for gradient sums (rank 0)"));
            }
        };
        int epochsBefore = trainer.CompletedEpochs;
        TrainingHistory history;
        try
        {
            history = view.Run(() => trainer.Fit(new TrainingData(data.Train, data.Validation, data.Test), cancellation));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException(StoppedState(options.CheckpointPath, epochsBefore, trainer.CompletedEpochs), null, cancellation);
        }
        if (trainer.CompletedEpochs == epochsBefore)
        {
            // Resuming a finished (or early-stopped) run trains nothing and writes nothing: say so
            // rather than print the old result as if this run had produced it.
            output.WriteLine(history.StoppedEarly
                ? $"nothing to train: the run in the checkpoint stopped early after epoch {trainer.CompletedEpochs}; nothing was written"
                : $"nothing to train: the checkpoint already holds {trainer.CompletedEpochs} of {settings.Epochs} epoch(s) (a larger --epochs goes on); nothing was written");
            return 0;
        }
        if (history.StoppedEarly && trainer.EarlyStopping is { } early)
        {
            output.WriteLine(TrainCommand.Invariant($"stopped   early after epoch {history[^1].Epoch}: no better {early.Options.Monitor} than {early.BestValue:F4} (epoch {early.BestEpoch}) for {early.Options.Patience} epoch(s)"));
        }
        WriteFiles(history);
        if (scaler is not null)
        {
            output.WriteLine($"precision fp16: {scaler.Description}");
        }
        if (options.CheckpointPath is string checkpoint)
        {
            output.WriteLine($"checkpoint {Path.GetFullPath(checkpoint)}");
        }
        output.WriteLine(TrainCommand.Invariant($"final test accuracy {history[^1].TestAccuracy:F4}"));
        return 0;
    }

    // What a stopped run leaves: the checkpoint of the last completed epoch (written whole before the stop).
    private static string StoppedState(string? checkpoint, int epochsBefore, int completed) => checkpoint switch
    {
        null => $"training stopped between steps after {completed} complete epoch(s); no --checkpoint was asked for",
        _ when completed > epochsBefore || (completed > 0 && File.Exists(checkpoint)) =>
            $"training stopped between steps; the last good checkpoint, {Path.GetFullPath(checkpoint)}, holds epoch {completed} (--resume it to go on)",
        _ => $"training stopped between steps during epoch {completed + 1}; no checkpoint was written yet",
    };

    public int CrossValidate(int k, CancellationToken cancellation)
    {
        if (data.Augmentation is not null)
        {
            throw new ConfigurationException("--kfold with --augment is not supported: the held-out folds would be randomly transformed too");
        }
        int stepsPerEpoch = StepsPerEpoch(data.Train.Count - data.Train.Count / k);
        using GradientClipping? clipping = Clipping();
        using LossScaler? scaler = PrecisionChoice.LossScaler(settings.Precision);
        TrainingOptions options = Options(stepsPerEpoch, clipping, scaler);
        output.WriteLine($"k-fold    {k} folds of the {data.Train.Count} training examples, a fresh model per fold");
        CrossValidationResult result;
        try
        {
            result = RunFolds(k, options, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException("k-fold cross-validation stopped between steps; it writes no files", null, cancellation);
        }
        output.WriteLine($"k-fold    {result}");
        return 0;
    }

    private CrossValidationResult RunFolds(int k, TrainingOptions options, CancellationToken cancellation) =>
        CrossValidation.Run(k,
            f => BuildNetwork(report: f == 0),
            () => host.CreateOptimizer(settings.Optimizer, settings.EffectiveOptimizerArguments()),
            loss, data.Train, options,
            (f, r) => output.WriteLine($"fold {f + 1}/{k}  {TrainingProgressView.FormatEpoch(r, settings.Epochs)}"),
            cancellation);

    private Network BuildNetwork(bool report)
    {
        Network network = Network.Build(spec, host.Catalog, backend, data.Train.SampleShape, settings.Seed, fallback: fallback);
        try
        {
            if (report)
            {
                output.WriteLine($"model     {network.Name}: {string.Join(" → ", network.Layers.Select(l => l.Kind))}; {network.ParameterCount:N0} parameters{FallbackChoice.Describe(network)}");
            }
            if (settings.Weights is string weights)
            {
                WeightLoadReport loaded = ModelFormats.LoadWeights(host, network, weights);
                if (report)
                {
                    output.WriteLine($"weights   {loaded.Loaded.Count} parameter(s) from {weights}"
                        + (loaded.Skipped.Count == 0 ? "" : "; kept initial: " + string.Join(", ", loaded.Skipped.Select(s => $"{s.Name} ({s.Reason})"))));
                }
            }
            if (settings.Freeze.Count > 0)
            {
                IReadOnlyList<string> frozen = TransferLearning.Freeze(network, settings.Freeze);
                if (network.Parameters.Count > 0 && network.Parameters.All(p => p.Frozen))
                {
                    throw new ConfigurationException($"--freeze {string.Join(" ", settings.Freeze.Select(f => $"'{f}'"))} freezes every parameter of model '{network.Name}': nothing would train (freeze fewer, e.g. 'conv*')");
                }
                if (report)
                {
                    output.WriteLine($"frozen    {string.Join(", ", frozen)}");
                }
            }
            BatchSplitChoice.Apply(network, settings.BatchSplit, settings.BatchSize, report ? output : null);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private TrainingOptions Options(int stepsPerEpoch, GradientClipping? clipping, LossScaler? scaler) => new(settings.Epochs, settings.BatchSize, settings.Seed)
    {
        LossScaling = scaler,
        Schedule = settings.Schedule is string schedule ? Schedule(schedule, new ScheduleContext(settings.LearningRate, settings.Epochs, stepsPerEpoch)) : null,
        Clipping = clipping,
        EarlyStopping = settings.EarlyStopping is int patience ? new EarlyStoppingOptions("val_loss", patience) : null,
        ProgressInterval = ProgressInterval(stepsPerEpoch),
        ReductionShards = settings.ReductionShards ?? 0,
        CudaGraphs = settings.CudaGraphs,
    };

    // The compact form (command line), or the JSON object a config file may hold (it arrives as its JSON text).
    internal static ILearningRateSchedule Schedule(string spec, ScheduleContext context)
    {
        if (!spec.TrimStart().StartsWith('{'))
        {
            return LearningRateSchedules.Parse(spec, context);
        }
        try
        {
            return LearningRateSchedules.FromJson(System.Text.Json.Nodes.JsonNode.Parse(spec)!.AsObject(), context);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ConfigurationException($"schedule {spec}: invalid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Steps between progress refreshes: about 50 per epoch, but never fewer than 25 steps apart, so
    /// that a slow model (where the 250 ms limit lets every refresh through) reads its statistics
    /// from the device at most 0.04 times per step. <c>--log-steps</c> asks for every step instead.
    /// </summary>
    internal static int ProgressInterval(int stepsPerEpoch) => Math.Max(25, stepsPerEpoch / 50);

    // Output files may name a folder that does not exist yet (artifacts/demo/...).
    private static void CreateParentFolder(string? path)
    {
        if (path is not null && Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }
    }

    private GradientClipping? Clipping() => settings.ClipNorm is double norm ? new GradientClipping(maxNorm: norm) : null;

    private int StepsPerEpoch(int examples) => (examples + settings.BatchSize - 1) / settings.BatchSize;

    private void WriteFiles(TrainingHistory history)
    {
        if (!Root)
        {
            return;
        }
        if (settings.Metrics is string metrics)
        {
            if (metrics.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                history.WriteJson(metrics);
            }
            else
            {
                history.WriteCsv(metrics);
            }
            output.WriteLine($"metrics   {Path.GetFullPath(metrics)}");
        }
        if (settings.Curves is string curves)
        {
            TrainingCurveChart.Write(history, curves);
            output.WriteLine($"curves    {Path.GetFullPath(curves)}");
        }
    }

    // "lr 0.05 momentum 0.9" as the optimiser receives its arguments.
    private string OptimizerText() =>
        string.Join(" ", settings.EffectiveOptimizerArguments().Select(kv => $"{kv.Key} {kv.Value?.ToJsonString()}"));
}
