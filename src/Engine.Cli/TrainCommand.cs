using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Core.Distributed;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine train</c>: trains a model on a data set with the settings of <see cref="TrainSettings"/>,
/// showing progress and one line per epoch, and writes the checkpoint, metrics and curves asked for.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var options = new TrainOptions();
        var command = new Command("train", "Train a model and report loss, accuracy, time and throughput per epoch; settings may come from --config FILE.json");
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(result => EngineCli.Guard(error, () =>
        {
            using var signals = new StopSignals();
            TrainSettings settings = new TrainSettingsReader(options, result).Read();
            OutputFiles.Check(settings, result.GetValue(options.Config));
            CheckCombinations(settings);
            if (settings.Processes is not null && LaunchedRank.FromEnvironment() is null)
            {
                return RankLauncher.Run(settings, result, output, error, signals); // this process starts the ranks and trains on none
            }
            using ICommunicator? group = DistributedGroup.Initialize(settings, error);
            bool root = group is null || group.Rank == 0;
            using CheckpointLock? held = (settings.Checkpoint ?? settings.Resume) is string checkpoint && settings.KFold is null && root
                ? CheckpointLock.Acquire(checkpoint)
                : null;
            try
            {
                return DistributedFailure.Contain(DistributedGroup.AcrossProcesses(group), error, () => Run(settings, result, root ? output : TextWriter.Null, error, signals.Token, group));
            }
            catch (OperationCanceledException stopped) when (signals.Received is not null)
            {
                // One line: which signal, and what is on disk (the run stopped between steps).
                error.WriteLine($"stopped: {signals.Name} received; {stopped.Message}");
                return signals.ExitCode;
            }
        }));
        return command;
    }

    private static int Run(TrainSettings settings, ParseResult result, TextWriter output, TextWriter error, CancellationToken cancellation, ICommunicator? group)
    {
        string dataFolder = settings.Data ?? Path.Combine("data", settings.Dataset);

        var hostOptions = new EngineHostOptions();
        hostOptions.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(hostOptions);
        ReportFailedPlugins(host, output);

        using IBackend backend = host.CreateBackend(settings.Device);
        PrecisionChoice.RequireSupport(settings.Precision, backend);
        (group as DeviceCommunicator)?.Bind(backend);
        output.WriteLine($"backend   {backend.Name}: {backend.Description}");
        using FallbackChoice fallback = FallbackChoice.Resolve(host, backend, settings.Fallback, error);

        var data = TrainingDataSetup.From(host.LoadDataset(settings.Dataset, dataFolder), settings);
        output.WriteLine($"data      {settings.Dataset} from {Path.GetFullPath(dataFolder)}: {data.Describe()}");

        ModelSpec spec = ModelFormats.ResolveModel(host, settings.Model);
        if (ModelFormats.For(host, settings.Model) is not null && settings.Weights is null)
        {
            // A model file of another format (ONNX) brings its weights: training fine-tunes them.
            settings = settings with { Weights = settings.Model };
        }
        if (settings.ReplaceHead)
        {
            spec = HeadReplacement.WithClasses(spec, data.Train.ClassCount);
        }
        using ILoss loss = host.CreateLoss();
        var run = new TrainingRun(host, backend, fallback.Layers, spec, settings, data, loss, output, group);
        if (settings.KFold is int k)
        {
            return run.CrossValidate(k, cancellation);
        }
        return run.Train(DescribeMetadata(settings, spec, dataFolder, data), cancellation);
    }

    // Settings that are valid alone but not together, reported before anything is loaded.
    private static void CheckCombinations(TrainSettings s)
    {
        if (s.EarlyStopping is not null && s.ValidationSplit is null && s.KFold is null)
        {
            throw new ConfigurationException("--early-stopping watches the validation loss: give --validation-split too");
        }
        if (s.KFold is not null && (s.ValidationSplit is not null || s.Resume is not null))
        {
            throw new ConfigurationException("--kfold holds out each fold in turn: it cannot be combined with --validation-split or --resume");
        }
        if (s.KFold is not null && s.Checkpoint is not null)
        {
            throw new ConfigurationException("--kfold trains a fresh model per fold and keeps none: it cannot be combined with --checkpoint");
        }
        if (s.Resume is not null && s.Weights is not null)
        {
            throw new ConfigurationException("--resume restores every weight already: --weights cannot be combined with it");
        }
        if (s.Distributed is null && (s.SyncBn || s.DistributedTimeout != MpiCommunicator.DefaultTimeout))
        {
            throw new ConfigurationException($"{(s.SyncBn ? "--sync-bn" : "--distributed-timeout")} applies to distributed training only: add --distributed mpi (and start the ranks with mpirun)");
        }
        if (s.Processes is not null && s.Distributed != "nccl")
        {
            throw new ConfigurationException("--nproc starts one process per GPU for --distributed nccl: add --distributed nccl (--distributed mpi ranks are started by mpirun -np N)");
        }
        if (s.Processes is not null && MpiCommunicator.LaunchedByMpi)
        {
            throw new ConfigurationException("--nproc starts the ranks itself: run it without mpirun (or drop --nproc and let mpirun start one rank per GPU)");
        }
        if (s.Distributed == "nccl" && s.ReductionShards is not null)
        {
            throw new ConfigurationException("--reduction-shards sums gradients on the host over MPI: it applies to --distributed mpi, not nccl");
        }
        if (s.Distributed is not null && (s.KFold is not null || s.Dashboard is not null))
        {
            throw new ConfigurationException($"--distributed {s.Distributed} cannot be combined with {(s.KFold is not null ? "--kfold" : "--dashboard")}");
        }
    }

    // What eval and predict need to rebuild the model and its input pipeline from the checkpoint alone.
    private static JsonObject DescribeMetadata(TrainSettings settings, ModelSpec spec, string dataFolder, TrainingDataSetup data)
    {
        JsonObject metadata = CheckpointModel.Describe(spec, settings.Seed, settings.Dataset, dataFolder, data.Augmentation?.ToString(), data.Train.SampleShape, data.Train.ClassNames);
        metadata["train_examples"] = data.Train.Count; // what --limit and --validation-split leave: --resume compares it
        return metadata;
    }

    private static void ReportFailedPlugins(EngineHost host, TextWriter output)
    {
        foreach (PluginRecord failed in host.Plugins.Where(p => p.Status == PluginStatus.Failed))
        {
            output.WriteLine($"warning   plugin {failed.FilePath} not loaded: {failed.Message}");
        }
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
