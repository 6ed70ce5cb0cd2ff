using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary><c>engine train</c>: trains a model on a data set and reports each epoch.</summary>
internal static class TrainCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Registered model name (see 'engine plugins') or a JSON model file", DefaultValueFactory = _ => "mlp" };
    private static readonly Option<string> Dataset = new("--dataset") { Description = "Data-set loader name", DefaultValueFactory = _ => "mnist" };
    private static readonly Option<string?> Data = new("--data") { Description = "Folder holding the data-set files (default: data/<dataset>)" };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 1 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Examples per step", DefaultValueFactory = _ => 64 };
    private static readonly Option<double> LearningRate = new("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<string> Optimizer = new("--optimizer") { Description = "Optimiser name", DefaultValueFactory = _ => "sgd" };
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Seed for initialisation and shuffling", DefaultValueFactory = _ => 1UL };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, gpu, or a backend name", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<int?> Limit = new("--limit") { Description = "Use only the first N training examples (quick runs)" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("train", "Train a model and report loss, accuracy, time and throughput per epoch")
        {
            Model, Dataset, Data, Epochs, BatchSize, LearningRate, Optimizer, Seed, Device, Limit,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output)
    {
        int epochs = Positive(result.GetValue(Epochs), "--epochs");
        int batchSize = Positive(result.GetValue(BatchSize), "--batch-size");
        double lr = result.GetValue(LearningRate);
        if (!(lr > 0) || !double.IsFinite(lr))
        {
            throw new ConfigurationException($"--lr must be a positive number, got {lr.ToString(CultureInfo.InvariantCulture)}");
        }
        string datasetName = result.GetValue(Dataset)!;
        string dataFolder = result.GetValue(Data) ?? Path.Combine("data", datasetName);

        var options = new EngineHostOptions();
        options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = EngineHost.Create(options);
        ReportFailedPlugins(host, output);

        using IBackend backend = host.CreateBackend(result.GetValue(Device)!);
        output.WriteLine($"backend   {backend.Name}: {backend.Description}");

        DatasetSplits data = host.LoadDataset(datasetName, dataFolder);
        ImageDataset train = data.Train;
        if (result.GetValue(Limit) is int limit)
        {
            train = train is ByteImageDataset bytes ? bytes.Take(Positive(limit, "--limit"))
                : throw new ConfigurationException($"--limit is not supported for data set '{datasetName}'");
        }
        output.WriteLine($"data      {datasetName} from {Path.GetFullPath(dataFolder)}: {train.Count} training, {data.Test.Count} test examples of {train.SampleShape}, {train.ClassCount} classes");

        ModelSpec spec = host.ResolveModel(result.GetValue(Model)!);
        ulong seed = result.GetValue(Seed);
        using Network network = host.BuildNetwork(spec, backend, train.SampleShape, seed);
        output.WriteLine($"model     {network.Name}: {string.Join(" → ", network.Layers.Select(l => l.Kind))}; {network.ParameterCount:N0} parameters");

        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer(result.GetValue(Optimizer)!, new JsonObject { ["lr"] = lr });
        output.WriteLine($"training  {epochs} epoch(s), batch {batchSize}, {optimizer.Name} lr {lr.ToString(CultureInfo.InvariantCulture)}, seed {seed}");

        var trainer = new Trainer(network, loss, optimizer, new TrainingOptions(epochs, batchSize, seed));
        var results = trainer.Fit(train, data.Test, r => output.WriteLine(
            FormattableString.Invariant($"epoch {r.Epoch}/{epochs}  loss {r.TrainLoss:F4}  train acc {r.TrainAccuracy:F4}  test acc {r.TestAccuracy:F4}  time {r.Elapsed.TotalSeconds:F1}s  {r.ImagesPerSecond:F0} images/s")));
        output.WriteLine(FormattableString.Invariant($"final test accuracy {results[^1].TestAccuracy:F4}"));
        return 0;
    }

    private static void ReportFailedPlugins(EngineHost host, TextWriter output)
    {
        foreach (PluginRecord failed in host.Plugins.Where(p => p.Status == PluginStatus.Failed))
        {
            output.WriteLine($"warning   plugin {failed.FilePath} not loaded: {failed.Message}");
        }
    }

    private static int Positive(int value, string option) =>
        value > 0 ? value : throw new ConfigurationException($"{option} must be a positive integer, got {value}");
}
