using System.CommandLine;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary><c>engine train</c>: trains a model on a data set and reports each epoch.</summary>
internal static class TrainCommand
{
    /// <summary>
    /// Settings parsed and validated but not acted on by this build, each with what will act on it.
    /// A run that sets one stops with an error instead of silently ignoring it; remove an entry when
    /// its branch is wired in.
    /// </summary>
    internal static IEnumerable<string> NotYetWired(TrainSettings s)
    {
        (string Option, bool IsSet, string Awaits)[] pending =
        [
            ("--schedule", s.Schedule is not null, "learning-rate schedules"),
            ("--clip-norm", s.ClipNorm is not null, "gradient clipping in the trainer"),
            ("--validation-split", s.ValidationSplit is not null, "validation in the trainer"),
            ("--early-stopping", s.EarlyStopping is not null, "early stopping in the trainer"),
            ("--augment", s.Augment is not null, "data augmentation"),
            ("--checkpoint", s.Checkpoint is not null, "checkpoints"),
            ("--resume", s.Resume is not null, "checkpoints"),
            ("--metrics", s.Metrics is not null, "metrics files"),
            ("--curves", s.Curves is not null, "training curves"),
            ("--freeze", s.Freeze.Count > 0, "frozen parameters in the trainer"),
            ("--kfold", s.KFold is not null, "k-fold cross-validation"),
        ];
        return pending.Where(p => p.IsSet).Select(p => $"{p.Option} (needs {p.Awaits})");
    }

    public static Command Create(TextWriter output, TextWriter error)
    {
        var options = new TrainOptions();
        var command = new Command("train", "Train a model and report loss, accuracy, time and throughput per epoch; settings may come from --config FILE.json");
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(result => EngineCli.Guard(error, () => Run(new TrainSettingsReader(options, result).Read(), result, output)));
        return command;
    }

    private static int Run(TrainSettings settings, ParseResult result, TextWriter output)
    {
        var pending = NotYetWired(settings).ToList();
        if (pending.Count > 0)
        {
            throw new ConfigurationException($"not supported by this build yet: {string.Join(", ", pending)}");
        }
        string dataFolder = settings.Data ?? Path.Combine("data", settings.Dataset);

        var hostOptions = new EngineHostOptions();
        hostOptions.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = EngineHost.Create(hostOptions);
        ReportFailedPlugins(host, output);

        using IBackend backend = host.CreateBackend(settings.Device);
        output.WriteLine($"backend   {backend.Name}: {backend.Description}");

        DatasetSplits data = host.LoadDataset(settings.Dataset, dataFolder);
        ImageDataset train = data.Train;
        if (settings.Limit is int limit)
        {
            train = train is ByteImageDataset bytes ? bytes.Take(limit)
                : throw new ConfigurationException($"--limit is not supported for data set '{settings.Dataset}'");
        }
        output.WriteLine($"data      {settings.Dataset} from {Path.GetFullPath(dataFolder)}: {train.Count} training, {data.Test.Count} test examples of {train.SampleShape}, {train.ClassCount} classes");

        ModelSpec spec = host.ResolveModel(settings.Model);
        using Network network = host.BuildNetwork(spec, backend, train.SampleShape, settings.Seed);
        output.WriteLine($"model     {network.Name}: {string.Join(" → ", network.Layers.Select(l => l.Kind))}; {network.ParameterCount:N0} parameters");

        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer(settings.Optimizer, settings.EffectiveOptimizerArguments());
        output.WriteLine($"training  {settings.Epochs} epoch(s), batch {settings.BatchSize}, {optimizer.Name} {OptimizerText(settings)}, seed {settings.Seed}");

        var trainer = new Trainer(network, loss, optimizer, new TrainingOptions(settings.Epochs, settings.BatchSize, settings.Seed));
        // The trainer on this branch reports epochs only; its successor's StepReports go to view.OnStep.
        var view = TrainingProgressView.For(output, settings.Progress);
        var results = view.Run(() => trainer.Fit(train, data.Test, r => view.OnEpoch(r, settings.Epochs)));
        output.WriteLine(FormattableString.Invariant($"final test accuracy {results[^1].TestAccuracy:F4}"));
        return 0;
    }

    // "lr 0.05" plus any other optimiser arguments, as the optimiser receives them.
    private static string OptimizerText(TrainSettings settings) =>
        string.Join(" ", settings.EffectiveOptimizerArguments().Select(kv => $"{kv.Key} {kv.Value?.ToJsonString()}"));

    private static void ReportFailedPlugins(EngineHost host, TextWriter output)
    {
        foreach (PluginRecord failed in host.Plugins.Where(p => p.Status == PluginStatus.Failed))
        {
            output.WriteLine($"warning   plugin {failed.FilePath} not loaded: {failed.Message}");
        }
    }
}
