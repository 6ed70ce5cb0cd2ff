using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine classical --dataset D [--features hog|sobel|pixels] [--classifier softmax|linear-svm]</c>:
/// the traditional pipeline beside the CNN. Features are extracted once by a fixed feature model (the
/// classical-features plugin's <c>hog</c> or <c>fixed_conv2d</c> layers), standardised with the training
/// set's statistics, and a linear classifier (one dense layer) is trained on them with the engine's own
/// trainer, SGD and loss (softmax cross-entropy, or the multi-class hinge of a linear SVM); the test
/// accuracy, training time and feature size are printed, and with <c>--compare-cnn CHECKPOINT</c> (a
/// trained CNN) or <c>--train-cnn MODEL</c> (a CNN trained here on the same training examples) a table
/// beside that network's accuracy on the same test set.
/// </summary>
internal static class ClassicalCommand
{
    private static readonly Option<string> Dataset = new("--dataset") { Description = "Data-set loader: mnist, fashion-mnist, cifar-10, image-folder, …", DefaultValueFactory = _ => "mnist" };
    private static readonly Option<string?> Data = new("--data") { Description = "Folder holding the data-set files (default data/<dataset>)" };
    private static readonly Option<string> Features = new("--features") { Description = "hog, sobel (the eight Robinson compass Sobel masks, rectified, 2×2 average-pooled) or pixels", DefaultValueFactory = _ => "hog" };
    private static readonly Option<string> Classifier = new("--classifier") { Description = "softmax (multinomial logistic regression) or linear-svm (multi-class hinge)", DefaultValueFactory = _ => "softmax" };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Passes of SGD over the training features", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Examples per SGD step", DefaultValueFactory = _ => 128 };
    private static readonly Option<double> Lr = new("--lr") { Description = "SGD learning rate (momentum 0.9, cosine to 0)", DefaultValueFactory = _ => 0.01 };
    private static readonly Option<double> WeightDecay = new("--weight-decay") { Description = "L2 penalty on the weights (SGD weight decay)", DefaultValueFactory = _ => 1e-4 };
    private static readonly Option<int?> Limit = new("--limit") { Description = "Use only the first N training examples" };
    private static readonly Option<int> Orientations = new("--orientations") { Description = "HOG orientation bins", DefaultValueFactory = _ => 9 };
    private static readonly Option<int?> Cell = new("--cell") { Description = "HOG pixels per cell side (default 4 for images up to 32 pixels, else 8)" };
    private static readonly Option<int> Block = new("--block") { Description = "HOG cells per block side", DefaultValueFactory = _ => 2 };
    private static readonly Option<string> BlockNorm = new("--block-norm") { Description = "HOG block normalisation: l2-hys, l2, l1, l1-sqrt", DefaultValueFactory = _ => "l2-hys" };
    private static readonly Option<string?> CompareCnn = new("--compare-cnn") { Description = "A checkpoint of a CNN trained on the same data set: its test accuracy goes beside the classical one" };
    private static readonly Option<string?> TrainCnn = new("--train-cnn") { Description = "Train this CNN (a model name such as lenet5, or a JSON model file) on the same training examples, as 'engine train --schedule cosine --momentum 0.9 --batch-size 64' would, and put its test accuracy beside the classical one" };
    private static readonly Option<int> CnnEpochs = new("--cnn-epochs") { Description = "Epochs of --train-cnn", DefaultValueFactory = _ => 2 };
    private static readonly Option<double> CnnLr = new("--cnn-lr") { Description = "Learning rate of --train-cnn (SGD, momentum 0.9, cosine to 0)", DefaultValueFactory = _ => 0.05 };
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Seed of the classifier's initialisation and shuffling", DefaultValueFactory = _ => 1UL };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("classical", "Hand-crafted features (HOG, Sobel, pixels) and a linear classifier, trained and tested; optionally beside a CNN (a checkpoint, or one trained here)")
        {
            Dataset, Data, Features, Classifier, Epochs, BatchSize, Lr, WeightDecay, Limit, Orientations, Cell, Block, BlockNorm, CompareCnn, TrainCnn, CnnEpochs, CnnLr, Seed,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output)
    {
        string datasetName = result.GetValue(Dataset)!;
        string lossName = result.GetValue(Classifier) switch
        {
            "softmax" => "softmax-cross-entropy",
            "linear-svm" => "multiclass-hinge",
            var other => throw new ConfigurationException($"--classifier must be softmax or linear-svm, got '{other}'"),
        };
        int epochs = result.GetValue(Epochs);
        if (epochs < 1 || result.GetValue(BatchSize) < 1)
        {
            throw new ConfigurationException($"--epochs and --batch-size must be at least 1, got {epochs} and {result.GetValue(BatchSize)}");
        }
        CheckpointModel? cnn = result.GetValue(CompareCnn) is string cnnPath ? CheckpointModel.Open(cnnPath) : null;
        string? cnnModel = result.GetValue(TrainCnn);
        if (cnn is not null && cnnModel is not null)
        {
            throw new ConfigurationException("give --compare-cnn CHECKPOINT or --train-cnn MODEL, not both");
        }
        if (cnnModel is not null && (result.GetValue(CnnEpochs) < 1 || !(result.GetValue(CnnLr) > 0)))
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"--cnn-epochs must be at least 1 and --cnn-lr above 0, got {result.GetValue(CnnEpochs)} and {result.GetValue(CnnLr)}"));
        }

        var hostOptions = new EngineHostOptions();
        hostOptions.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(hostOptions);
        string folder = result.GetValue(Data) ?? Path.Combine("data", datasetName);
        DatasetSplits data = host.LoadDataset(datasetName, folder);
        ImageDataset train = data.Train;
        if (result.GetValue(Limit) is int limit)
        {
            if (limit < 1)
            {
                throw new ConfigurationException($"--limit must be at least 1, got {limit}");
            }
            train = limit < train.Count ? new SubsetDataset(train, Enumerable.Range(0, limit).ToArray()) : train;
        }
        ImageDataset test = data.Test;
        Shape sample = train.SampleShape;
        output.WriteLine($"data      {datasetName} from {folder}: {train.Count} training, {test.Count} test examples of {EvalCommand.Dims(sample)}, {train.ClassCount} classes");

        using IBackend backend = host.CreateBackend("cpu");
        (ModelSpec featureSpec, string featureText) = FeatureModel(result, sample);
        var clock = Stopwatch.StartNew();
        float[] trainFeatures, testFeatures;
        int featureCount;
        using (var extractor = new FeatureExtractor(host, backend, featureSpec, sample))
        {
            featureCount = extractor.FeatureCount;
            trainFeatures = extractor.Extract(train.Count, train.CopySample);
            testFeatures = extractor.Extract(test.Count, test.CopySample);
        }
        FeatureDataset.Standardize(trainFeatures, featureCount, trainFeatures, testFeatures);
        TimeSpan extraction = clock.Elapsed;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"features  {featureText}: {featureCount} per image, standardised; extracted in {extraction.TotalSeconds:F1} s"));

        var trainSet = new FeatureDataset(trainFeatures, featureCount, Labels(train), train.ClassNames);
        var testSet = new FeatureDataset(testFeatures, featureCount, Labels(test), test.ClassNames);
        var spec = new ModelSpec("linear", [new LayerSpec("dense", new JsonObject { ["units"] = train.ClassCount, ["init"] = "xavier_uniform", ["bias_init"] = "zeros" }, "classifier")]);
        ulong seed = result.GetValue(Seed);
        using Network network = host.BuildNetwork(spec, backend, new Shape(featureCount), seed);
        using ILoss loss = host.CreateLoss(lossName);
        double lr = result.GetValue(Lr);
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = lr, ["momentum"] = 0.9, ["weight_decay"] = result.GetValue(WeightDecay) });
        int batch = result.GetValue(BatchSize);
        long steps = (long)epochs * ((trainSet.Count + batch - 1) / batch);
        var options = new TrainingOptions(epochs, batch, seed) { Schedule = new CosineSchedule(lr, 0, steps) };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"classifier {(lossName == "multiclass-hinge" ? "linear SVM (multi-class hinge)" : "softmax regression (cross-entropy)")}: {network.ParameterCount:N0} parameters; {epochs} epoch(s), batch {batch}, sgd lr {lr} momentum 0.9 weight decay {result.GetValue(WeightDecay)}, cosine"));
        clock.Restart();
        var trainer = new Trainer(network, loss, optimizer, options);
        trainer.Fit(trainSet, onEpoch: e => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {e.Epoch}/{epochs}  loss {e.TrainLoss:F4}  train acc {e.TrainAccuracy:F4}  time {e.Elapsed.TotalSeconds:F1}s")));
        TimeSpan training = clock.Elapsed;
        EvaluationResult evaluation = Trainer.Evaluate(network, testSet, 512, loss);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training  {training.TotalSeconds:F1} s"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy {evaluation.Top1:F4}"));

        CnnRow? row = cnn is not null ? EvaluateCheckpoint(host, backend, cnn, data.Test, datasetName)
            : cnnModel is not null ? TrainCnnHere(host, backend, cnnModel, train, data.Test, result, output)
            : null;
        if (row is CnnRow r)
        {
            output.WriteLine();
            output.WriteLine($"{"method",-34} {"features",9} {"parameters",11} {"time",9} {"test acc",9}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Shorten(featureText) + " + linear",-34} {featureCount,9} {network.ParameterCount,11:N0} {(extraction + training).TotalSeconds,7:F1} s {evaluation.Top1,9:F4}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"CNN " + r.Name + " (learned features)",-34} {"-",9} {r.Parameters,11:N0} {r.Time,9} {r.Accuracy,9:F4}"));
        }
        return 0;
    }

    /// <summary>The fixed feature model for --features, and how to describe it.</summary>
    private static (ModelSpec Spec, string Text) FeatureModel(ParseResult result, Shape sample)
    {
        switch (result.GetValue(Features))
        {
            case "hog":
                int cell = result.GetValue(Cell) ?? (Math.Max(sample[^1], sample[^2]) <= 32 ? 4 : 8);
                string norm = result.GetValue(BlockNorm)!;
                return (FeaturesCommand.HogSpec(result.GetValue(Orientations), cell, result.GetValue(Block), norm),
                    $"hog ({result.GetValue(Orientations)} orientations, cell {cell}, block {result.GetValue(Block)}, {norm}{(sample[0] == 3 ? ", colour made grey" : "")})");
            case "sobel":
                return (new ModelSpec("sobel", [
                    new LayerSpec("fixed_conv2d", new JsonObject { ["kernels"] = "robinson" }, "compass"),
                    new LayerSpec("relu", null, "rectify"),
                    new LayerSpec("avg_pool2d", new JsonObject { ["pool"] = 2 }, "pool"),
                    new LayerSpec("flatten")]),
                    "sobel (eight Robinson compass masks per channel, rectified, 2×2 average pooling)");
            case "pixels":
                return (new ModelSpec("pixels", [new LayerSpec("flatten")]), "pixels");
            case string other:
                throw new ConfigurationException($"--features must be hog, sobel or pixels, got '{other}'");
            default:
                throw new ConfigurationException("--features is empty");
        }
    }

    private static int[] Labels(ImageDataset set) => Enumerable.Range(0, set.Count).Select(set.GetLabel).ToArray();

    /// <summary>A CNN's line of the comparison table.</summary>
    private readonly record struct CnnRow(string Name, long Parameters, string Time, double Accuracy);

    private static CnnRow EvaluateCheckpoint(EngineHost host, IBackend backend, CheckpointModel cnn, ImageDataset test, string datasetName)
    {
        Shape input = cnn.InputShape() ?? test.SampleShape;
        if (input != test.SampleShape)
        {
            throw new ConfigurationException($"--compare-cnn {cnn.Path} takes {EvalCommand.Dims(input)} but the samples of '{datasetName}' are {EvalCommand.Dims(test.SampleShape)}");
        }
        using Network network = cnn.BuildNetwork(host, backend, null, input);
        AugmentationPipeline pipeline = cnn.EvaluationPipeline();
        ImageDataset data = pipeline.Transforms.Count > 0 ? new AugmentedDataset(test, pipeline, seed: 0) : test;
        EvaluationResult result = Trainer.Evaluate(network, data, 256, null);
        // The trainer stores the metric history in the checkpoint's metadata: its last epoch's elapsed time.
        TrainingHistory history = cnn.Metadata["history"] is JsonArray stored ? TrainingHistory.FromJson(stored) : new TrainingHistory();
        string time = history.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $"{history[^1].Elapsed.TotalSeconds:F1} s") : "-";
        return new CnnRow(network.Name, network.ParameterCount, time, result.Top1);
    }

    /// <summary>
    /// Trains <paramref name="model"/> on the classical pipeline's training examples as <c>engine train
    /// --model M --epochs E --lr L --momentum 0.9 --schedule cosine --batch-size 64 --seed S</c> does (the
    /// same initial weights, order and rates, so the same accuracy), then tests it.
    /// </summary>
    private static CnnRow TrainCnnHere(EngineHost host, IBackend backend, string model, ImageDataset train, ImageDataset test, ParseResult result, TextWriter output)
    {
        const int batch = 64;
        int epochs = result.GetValue(CnnEpochs);
        double lr = result.GetValue(CnnLr);
        ulong seed = result.GetValue(Seed);
        using Network network = Network.Build(host.ResolveModel(model), host.Catalog, backend, train.SampleShape, seed);
        using ILoss loss = host.CreateLoss("softmax-cross-entropy");
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = lr, ["momentum"] = 0.9 });
        int steps = (train.Count + batch - 1) / batch;
        var options = new TrainingOptions(epochs, batch, seed) { Schedule = LearningRateSchedules.Parse("cosine", new ScheduleContext(lr, epochs, steps)) };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cnn       {network.Name}: {network.ParameterCount:N0} parameters; {epochs} epoch(s) on the same {train.Count} training examples, batch {batch}, sgd lr {lr} momentum 0.9, cosine, seed {seed}"));
        var clock = Stopwatch.StartNew();
        new Trainer(network, loss, optimizer, options).Fit(train, onEpoch: e => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cnn epoch {e.Epoch}/{epochs}  loss {e.TrainLoss:F4}  train acc {e.TrainAccuracy:F4}  time {e.Elapsed.TotalSeconds:F1}s")));
        TimeSpan time = clock.Elapsed;
        double accuracy = Trainer.Evaluate(network, test, 256, null).Top1;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cnn test accuracy {accuracy:F4}"));
        return new CnnRow(network.Name, network.ParameterCount, string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:F1} s"), accuracy);
    }

    private static string Shorten(string featureText) => featureText.Split(' ')[0];
}
