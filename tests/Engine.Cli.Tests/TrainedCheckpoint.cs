using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// One checkpoint for the eval and predict tests, trained once per test run through the core API:
/// the MLP on 300 MNIST examples for an epoch, with a normalisation in the augmentation so that a
/// command skipping it would give other numbers, and the metadata <c>engine train</c> writes.
/// Also the means to rebuild the same network independently of the commands under test.
/// </summary>
internal static class TrainedCheckpoint
{
    public const string Augment = "normalize=0.1307:0.3081";
    public const float Mean = 0.1307f, Std = 0.3081f;

    private static readonly Lazy<string> File = new(Train, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The checkpoint file (trained on first use).</summary>
    public static string Path => File.Value;

    /// <summary>A temporary file name for a test's own output.</summary>
    public static string TempFile(string extension) =>
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"engine-evalcmd-{Guid.NewGuid():N}{extension}");

    public static EngineHost CreateHost()
    {
        var options = new EngineHostOptions();
        options.PluginFolders.Add(RepoPaths.StagedPlugins);
        return EngineHost.Create(options);
    }

    /// <summary>The trained network, rebuilt here and loaded with the core API (not the CLI's code).</summary>
    public static Network Load(EngineHost host, IBackend backend)
    {
        Network network = host.BuildNetwork(host.ResolveModel("mlp"), backend, new Shape(1, 28, 28), seed: 99);
        WeightLoadReport report = Checkpoint.LoadWeights(network, Path);
        Assert.Empty(report.Skipped);
        return network;
    }

    /// <summary>The metadata <c>engine train</c> writes for this run (its own writer).</summary>
    public static JsonObject Metadata(ImageDataset train, ModelSpec spec) =>
        CheckpointModel.Describe(spec, 7, "mnist", RepoPaths.Mnist, Augment, new Shape(1, 28, 28), train.ClassNames);

    private static string Train()
    {
        string path = TempFile(".ckpt");
        using EngineHost host = CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        DatasetSplits data = host.LoadDataset("mnist", RepoPaths.Mnist);
        ImageDataset train = new AugmentedDataset(((ByteImageDataset)data.Train).Take(300), AugmentationPipeline.Parse(Augment), seed: 1);
        ModelSpec spec = host.ResolveModel("mlp");
        using Network network = host.BuildNetwork(spec, backend, train.SampleShape, seed: 7);
        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = 0.1 });
        var options = new TrainingOptions(Epochs: 1, BatchSize: 32, Seed: 1) { CheckpointPath = path, Metadata = Metadata(train, spec) };
        new Trainer(network, loss, optimizer, options).Fit(train);
        Assert.True(System.IO.File.Exists(path), "the trainer wrote no checkpoint");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => System.IO.File.Delete(path);
        return path;
    }
}
