using System.CommandLine;
using System.Globalization;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine predict --checkpoint F (--image FILE | --index N)</c>: the top classes, with softmax
/// probabilities, that a trained network gives one image file or one test sample. The image gets the
/// preprocessing the training data had: the model's channels and size, [0, 1] scaling, and the
/// normalisation of the training augmentation.
/// </summary>
internal static class PredictCommand
{
    private static readonly Option<string> CheckpointFile = new("--checkpoint") { Description = "Checkpoint written by 'engine train'", Required = true };
    private static readonly Option<string?> Image = new("--image") { Description = "Image file to classify (JPEG, PNG, WebP, BMP, GIF, PGM or PPM; a JPEG turned upright by its EXIF orientation); resized bilinearly to the model's input when its size differs" };
    private static readonly Option<int?> Index = new("--index") { Description = "Classify sample N (from 0) of the data set's test split, and show its true label" };
    private static readonly Option<int> Top = new("--top") { Description = "How many classes to list, most probable first", DefaultValueFactory = _ => 5 };
    private static readonly Option<string?> Model = new("--model") { Description = "Registered model name or JSON model file (default: the checkpoint's model_spec)" };
    private static readonly Option<string?> Dataset = new("--dataset") { Description = "Data-set loader name, for --index and class names (default: the checkpoint's)" };
    private static readonly Option<string?> Data = new("--data") { Description = "Folder holding the data-set files (default: the checkpoint's, else data/<dataset>)" };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, gpu, auto (a GPU if one is available, else the CPU), or a backend name", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<string> Fallback = FallbackChoice.CreateOption();

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("predict", "Classify one image file or test sample with a checkpoint: the top classes and their probabilities")
        {
            CheckpointFile, Image, Index, Top, Model, Dataset, Data, Device, Fallback,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output, error)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output, TextWriter error)
    {
        string? imagePath = result.GetValue(Image);
        int? index = result.GetValue(Index);
        if ((imagePath is null) == (index is null))
        {
            throw new ConfigurationException(imagePath is null
                ? "give what to classify: --image FILE or --index N"
                : "give either --image FILE or --index N, not both");
        }
        int top = result.GetValue(Top);
        if (top < 1)
        {
            throw new ConfigurationException($"--top must be at least 1, got {top}");
        }

        CheckpointModel checkpoint = CheckpointModel.Open(result.GetValue(CheckpointFile)!);
        var hostOptions = new EngineHostOptions();
        hostOptions.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(hostOptions);

        // The data set is needed for --index, and otherwise only for the input shape or class names
        // when the metadata lacks them, so an image needs no data on disk with a complete checkpoint.
        string? datasetOption = result.GetValue(Dataset);
        Shape? storedShape = checkpoint.InputShape();
        IReadOnlyList<string>? classNames = checkpoint.ClassNames();
        ImageDataset? test = null;
        string? dataset = null;
        if (index is not null || storedShape is null || (classNames is null && checkpoint.HasDataset(datasetOption)))
        {
            dataset = checkpoint.DatasetName(datasetOption);
            test = host.LoadDataset(dataset, checkpoint.DataFolder(result.GetValue(Data), dataset)).Test;
        }
        Shape inputShape = storedShape ?? test!.SampleShape;

        using IBackend backend = host.CreateBackend(result.GetValue(Device)!);
        using FallbackChoice fallback = FallbackChoice.Resolve(host, backend, result.GetValue(Fallback)!, error);
        using Network network = checkpoint.BuildNetwork(host, backend, result.GetValue(Model), inputShape, fallback.Layers);
        int classes = checked((int)network.OutputShape.ElementCount);
        classNames ??= test?.ClassNames ?? Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (classNames.Count != classes)
        {
            throw new ConfigurationException($"model '{network.Name}' outputs {classes} values but there are {classNames.Count} class names");
        }

        float[] sample;
        var lines = new List<(string, string)> { ("checkpoint", checkpoint.Path), ("model", $"{network.Name}, input {EvalCommand.Dims(inputShape)}{FallbackChoice.Describe(network)}") };
        if (index is int n)
        {
            if (n < 0 || n >= test!.Count)
            {
                throw new ConfigurationException($"--index {n} is out of range: the test split of '{dataset}' has {test!.Count} examples (0 to {test.Count - 1})");
            }
            if (test.SampleShape != inputShape)
            {
                throw new ConfigurationException($"the samples of '{dataset}' are {EvalCommand.Dims(test.SampleShape)} but model '{network.Name}' takes {EvalCommand.Dims(inputShape)}");
            }
            sample = new float[inputShape.ElementCount];
            test.CopySample(n, sample);
            int label = test.GetLabel(n);
            lines.Add(("input", $"test sample {n} of {dataset}"));
            lines.Add(("true label", ClassText(label, classNames)));
        }
        else
        {
            ImageInput image = ImageInput.Load(imagePath!, inputShape);
            sample = image.Sample;
            lines.Add(("input", image.Description));
            if (image.Resized is string resized)
            {
                lines.Add(("resized", resized));
            }
        }
        AugmentationPipeline pipeline = checkpoint.EvaluationPipeline();
        if (pipeline.Transforms.Count > 0)
        {
            pipeline.Check(inputShape);
            // Only deterministic transforms remain, so the seed, epoch and index do not matter.
            pipeline.Apply(sample, inputShape, seed: 0, epoch: 1, index: 0);
            lines.Add(("normalize", $"{pipeline} (the evaluation side of the training augmentation)"));
        }

        float[] logits = Logits(network, sample);
        int nonFinite = logits.Count(v => !float.IsFinite(v));
        lines.Add(("non-finite", nonFinite == 0
            ? $"0 of {logits.Length} outputs"
            : $"{nonFinite} of {logits.Length} outputs are NaN or infinite: the probabilities below mean nothing (the model's weights or input are broken)"));
        double[] probabilities = Softmax(logits);
        var ranked = Enumerable.Range(0, classes)
            .OrderByDescending(c => probabilities[c]).ThenBy(c => c)
            .Take(top)
            .Select(c => (ClassText(c, classNames), probabilities[c]))
            .ToList();
        PredictRenderer.Write(lines, ranked, output, TerminalOutput.IsInteractive(output));
        return 0;
    }

    /// <summary>One forward pass in inference mode on a batch of one; the logits on the host.</summary>
    internal static float[] Logits(Network network, float[] sample)
    {
        using Tensor input = network.Backend.Allocate(network.InputShape.WithBatch(1));
        network.Backend.CopyFromHost<float>(sample, input);
        Tensor output = network.Forward(input, training: false);
        var logits = new float[output.ElementCount];
        network.Backend.CopyToHost<float>(output, logits);
        return logits;
    }

    /// <summary>Softmax in double precision, the maximum subtracted first so large logits cannot overflow.</summary>
    internal static double[] Softmax(float[] logits)
    {
        var p = new double[logits.Length];
        Metrics.AddSoftmax<float>(logits, p);
        return p;
    }

    // "7" when the class is named by its number (MNIST), "3 cat" otherwise.
    private static string ClassText(int c, IReadOnlyList<string> names)
    {
        string number = c.ToString(CultureInfo.InvariantCulture);
        return names[c] == number ? number : $"{number} {names[c]}";
    }
}
