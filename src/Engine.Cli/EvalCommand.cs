using System.CommandLine;
using System.Globalization;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine eval --checkpoint F</c>: loss, top-1, top-5, per-class recall and the confusion matrix of a
/// trained network on a data set's test (or training) split. Model, data set, folder and normalisation
/// come from the checkpoint's metadata unless given as options.
/// </summary>
internal static class EvalCommand
{
    private static readonly Option<string> CheckpointFile = new("--checkpoint") { Description = "Checkpoint written by 'engine train'", Required = true };
    private static readonly Option<string?> Model = new("--model") { Description = "Registered model name or JSON model file (default: the checkpoint's model_spec)" };
    private static readonly Option<string?> Dataset = new("--dataset") { Description = "Data-set loader name (default: the checkpoint's)" };
    private static readonly Option<string?> Data = new("--data") { Description = "Folder holding the data-set files (default: the checkpoint's, else data/<dataset>)" };
    private static readonly Option<string> Split = new("--split") { Description = "Which split to evaluate: test or train", DefaultValueFactory = _ => "test" };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Examples per forward pass", DefaultValueFactory = _ => 256 };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, gpu, auto (a GPU if one is available, else the CPU), or a backend name", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<string> Fallback = FallbackChoice.CreateOption();
    private static readonly Option<string?> TenCrop = new("--ten-crop")
    {
        Description = "10-crop evaluation with HxW crops (four corners, centre, and their mirrors; softmax averaged); "
            + "the network's input must be the crop size, as when trained on random crops of that size. Reports top-1 only",
    };
    private static readonly Option<string?> ConfusionImage = new("--confusion-image") { Description = "Write the confusion matrix as a heat-map (rows: true class, colour: fraction of the row, cells: counts), .png or .svg" };
    private static readonly Option<string?> PerClassImage = new("--per-class-image") { Description = "Write per-class accuracy (recall) as a bar chart, .png or .svg" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("eval", "Evaluate a checkpoint: loss, top-1, top-5, per-class recall and the confusion matrix")
        {
            CheckpointFile, Model, Dataset, Data, Split, BatchSize, Device, Fallback, TenCrop, ConfusionImage, PerClassImage,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output, error)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output, TextWriter error)
    {
        string split = result.GetValue(Split)!;
        if (split is not ("test" or "train"))
        {
            throw new ConfigurationException($"--split must be test or train, got '{split}'");
        }
        int batchSize = result.GetValue(BatchSize);
        if (batchSize < 1)
        {
            throw new ConfigurationException($"--batch-size must be at least 1, got {batchSize}");
        }
        (int Height, int Width)? crop = result.GetValue(TenCrop) is string cropText ? ParseCrop(cropText) : null;
        string? confusionImage = result.GetValue(ConfusionImage), perClassImage = result.GetValue(PerClassImage);
        foreach (string chart in new[] { confusionImage, perClassImage }.OfType<string>())
        {
            Engine.Visualization.ChartImage.CheckExtension(chart);
        }
        if (crop is not null && (confusionImage ?? perClassImage) is not null)
        {
            throw new ConfigurationException("--ten-crop reports top-1 only: --confusion-image and --per-class-image need a plain evaluation");
        }

        CheckpointModel checkpoint = CheckpointModel.Open(result.GetValue(CheckpointFile)!);
        var hostOptions = new EngineHostOptions();
        hostOptions.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(hostOptions);

        string dataset = checkpoint.DatasetName(result.GetValue(Dataset));
        string folder = checkpoint.DataFolder(result.GetValue(Data), dataset);
        DatasetSplits splits = host.LoadDataset(dataset, folder);
        ImageDataset source = split == "test" ? splits.Test : splits.Train;
        AugmentationPipeline pipeline = checkpoint.EvaluationPipeline();
        ImageDataset data = pipeline.Transforms.Count > 0 ? new AugmentedDataset(source, pipeline, seed: 0) : source;

        // Without input_shape in the metadata, the network takes whole samples, or the crops under --ten-crop.
        Shape inputShape = checkpoint.InputShape()
            ?? (crop is var (h, w) ? new Shape(source.SampleShape[0], h, w) : source.SampleShape);
        using IBackend backend = host.CreateBackend(result.GetValue(Device)!);
        PrecisionChoice.RequireSupport(result.GetValue(EngineCli.Precision), backend);
        using FallbackChoice fallback = FallbackChoice.Resolve(host, backend, result.GetValue(Fallback)!, error);
        using Network network = checkpoint.BuildNetwork(host, backend, result.GetValue(Model), inputShape, fallback.Layers);
        long outputs = network.OutputShape.ElementCount;
        if (outputs != data.ClassCount)
        {
            throw new ConfigurationException($"model '{network.Name}' outputs {outputs} values but data set '{dataset}' has {data.ClassCount} classes");
        }

        var report = new EvalReport(
            checkpoint.Path,
            string.Create(CultureInfo.InvariantCulture, $"{network.Name}, input {Dims(network.InputShape)}, {network.ParameterCount:N0} parameters{FallbackChoice.Describe(network)}"),
            $"{dataset} {split} split from {Path.GetFullPath(folder)}: {data.Count} examples of {Dims(source.SampleShape)}, {data.ClassCount} classes",
            pipeline.Transforms.Count > 0 ? pipeline.ToString() : null,
            data.Count);
        if (crop is var (cropHeight, cropWidth))
        {
            double top1 = TenCropEvaluation.Evaluate(network, data, cropHeight, cropWidth, batchSize);
            report = report with { TenCrop = $"{cropHeight}×{cropWidth}", TenCropTop1 = top1 };
        }
        else
        {
            using ILoss loss = host.CreateLoss();
            RunCapabilities.Check(network, loss); // before the first batch: refuses what the backend lacks
            report = report with { Result = Trainer.Evaluate(network, data, batchSize, loss) };
        }
        EvalRenderer.Write(report, output, TerminalOutput.IsInteractive(output));
        if (report.Result is EvaluationResult evaluation)
        {
            if (confusionImage is not null)
            {
                Engine.Visualization.ConfusionCharts.WriteHeatmap(evaluation, confusionImage);
                output.WriteLine($"confusion image {confusionImage}");
            }
            if (perClassImage is not null)
            {
                Engine.Visualization.ConfusionCharts.WritePerClassAccuracy(evaluation, perClassImage);
                output.WriteLine($"per-class image {perClassImage}");
            }
        }
        return 0;
    }

    /// <summary>Reads <c>24x24</c> (also with × or commas) as crop height and width.</summary>
    internal static (int Height, int Width) ParseCrop(string text)
    {
        string[] parts = text.Split(['x', 'X', '×', ','], StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h) && h > 0
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w) && w > 0)
        {
            return (h, w);
        }
        throw new ConfigurationException($"--ten-crop must be a crop size HxW such as 24x24, got '{text}'");
    }

    internal static string Dims(Shape shape) => string.Join("×", shape);
}
