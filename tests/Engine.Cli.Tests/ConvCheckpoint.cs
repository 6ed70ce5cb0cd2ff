using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// A small convolutional checkpoint for the visualize tests, trained once per run through the core API
/// (conv1 4@3×3 → relu1 → pool1 → conv2 3@3×3 → flatten → dense 10, one epoch on 128 MNIST examples),
/// and the means to rebuild it independently of the command under test.
/// </summary>
internal static class ConvCheckpoint
{
    public const string ModelJson = """
        { "name": "tiny-conv", "layers": [
          {"type": "conv2d", "name": "conv1", "filters": 4, "kernel": 3},
          {"type": "relu", "name": "relu1"},
          {"type": "max_pool2d", "name": "pool1", "pool": 2},
          {"type": "conv2d", "name": "conv2", "filters": 3, "kernel": 3},
          {"type": "flatten"}, {"type": "dense", "name": "classifier", "units": 10} ] }
        """;

    private static readonly Lazy<string> File = new(Train, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The checkpoint file (trained on first use).</summary>
    public static string Path => File.Value;

    public static ModelSpec Spec => ModelFile.FromJson(JsonNode.Parse(ModelJson)!, "tiny-conv");

    /// <summary>The trained network's first <paramref name="layers"/> layers, loaded with the core API.</summary>
    public static Network Load(EngineHost host, IBackend backend, int? layers = null)
    {
        ModelSpec spec = Spec;
        if (layers is int n)
        {
            spec = new ModelSpec(spec.Name, spec.Layers.Take(n).ToArray());
        }
        Network network = host.BuildNetwork(spec, backend, new Shape(1, 28, 28), seed: 5);
        Checkpoint.LoadWeights(network, Path);
        return network;
    }

    /// <summary>A parameter's values on the host.</summary>
    public static float[] Values(IBackend backend, Parameter parameter)
    {
        var values = new float[parameter.Value.ElementCount];
        backend.CopyToHost<float>(parameter.Value, values);
        return values;
    }

    private static string Train()
    {
        string path = TrainedCheckpoint.TempFile(".ckpt");
        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        DatasetSplits data = host.LoadDataset("mnist", RepoPaths.Mnist);
        ImageDataset train = ((ByteImageDataset)data.Train).Take(128);
        ModelSpec spec = Spec;
        using Network network = host.BuildNetwork(spec, backend, train.SampleShape, seed: 5);
        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = 0.05 });
        JsonObject metadata = CheckpointModel.Describe(spec, 5, "mnist", RepoPaths.Mnist, null, new Shape(1, 28, 28), train.ClassNames);
        var options = new TrainingOptions(Epochs: 1, BatchSize: 32, Seed: 1) { CheckpointPath = path, Metadata = metadata };
        new Trainer(network, loss, optimizer, options).Fit(train);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => System.IO.File.Delete(path);
        return path;
    }
}
