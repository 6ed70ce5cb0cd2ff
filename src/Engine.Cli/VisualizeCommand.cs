using System.CommandLine;
using System.Globalization;
using Engine.Core;
using Engine.Host;
using Engine.Visualization;

namespace Engine.Cli;

/// <summary>
/// <c>engine visualize --checkpoint C --layer NAME --output F.png</c>: a convolution's filters as an
/// image grid, or with <c>--feature-maps --image FILE|--index N</c> a layer's activations for one
/// input. Without a checkpoint, <c>--model NAME</c> shows a model's initial filters (the zoo included).
/// </summary>
internal static class VisualizeCommand
{
    private static readonly Option<string?> CheckpointFile = new("--checkpoint") { Description = "Checkpoint written by 'engine train' (else --model shows initial weights)" };
    private static readonly Option<string?> Model = new("--model") { Description = "Registered model name or JSON model file (default: the checkpoint's model_spec)" };
    private static readonly Option<string> Layer = new("--layer") { Description = "The layer to draw: a convolution for filters, any layer with a channels × height × width output for feature maps", Required = true };
    private static readonly Option<string> OutputFile = new("--output") { Description = "The PNG file to write", Required = true };
    private static readonly Option<bool> FeatureMaps = new("--feature-maps") { Description = "Draw the layer's activations for one input (--image or --index) instead of its filters" };
    private static readonly Option<string?> Image = new("--image") { Description = "Image file (JPEG, PNG, WebP, BMP, GIF, PGM, PPM) for --feature-maps; converted and resized to the model's input" };
    private static readonly Option<int?> Index = new("--index") { Description = "Test sample N of the data set for --feature-maps" };
    private static readonly Option<string?> Dataset = new("--dataset") { Description = "Data-set loader (default: the checkpoint's); for --index and the input shape" };
    private static readonly Option<string?> Data = new("--data") { Description = "Folder holding the data-set files (default: the checkpoint's, else data/<dataset>)" };
    private static readonly Option<string?> Input = new("--input") { Description = "Per-sample input shape such as 3x32x32 (default: the checkpoint's, the model's own, or the data set's)" };
    private static readonly Option<int> MaxFilters = new("--max-filters") { Description = "Draw at most this many filters or maps", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> MaxChannels = new("--max-channels") { Description = "Draw at most this many input channels per filter", DefaultValueFactory = _ => 16 };
    private static readonly Option<int> Zoom = new("--zoom") { Description = "Pixels per weight or activation (default: about 32-pixel filter tiles, 64-pixel map tiles)", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> SharedScale = new("--shared-scale") { Description = "One scale for all drawn filters, written on the colour bar (default: each filter on its own scale)" };
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Model seed when there is no checkpoint", DefaultValueFactory = _ => 1UL };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("visualize", "Draw a convolution's filters, or a layer's feature maps for one input, as a PNG grid")
        {
            CheckpointFile, Model, Layer, OutputFile, FeatureMaps, Image, Index, Dataset, Data, Input, MaxFilters, MaxChannels, Zoom, SharedScale, Seed,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output)
    {
        string path = result.GetValue(OutputFile)!;
        if (!Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigurationException($"--output '{path}' must be a .png file");
        }
        bool maps = result.GetValue(FeatureMaps);
        string? imagePath = result.GetValue(Image);
        int? index = result.GetValue(Index);
        if (maps && (imagePath is null) == (index is null))
        {
            throw new ConfigurationException(imagePath is null ? "--feature-maps needs an input: --image FILE or --index N" : "give either --image FILE or --index N, not both");
        }
        if (!maps && (imagePath is not null || index is not null))
        {
            throw new ConfigurationException("--image and --index choose the input of --feature-maps; add --feature-maps, or leave them out to draw filters");
        }
        string? checkpointPath = result.GetValue(CheckpointFile);
        string? modelOption = result.GetValue(Model);
        if (checkpointPath is null && modelOption is null)
        {
            throw new ConfigurationException("give --checkpoint FILE (trained weights) or --model NAME|FILE (initial weights)");
        }
        CheckpointModel? checkpoint = checkpointPath is null ? null : CheckpointModel.Open(checkpointPath);

        var hostOptions = new EngineHostOptions();
        hostOptions.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(hostOptions);
        ModelSpec spec = modelOption is not null ? host.ResolveModel(modelOption) : checkpoint!.Spec();
        string? datasetName = result.GetValue(Dataset) ?? (checkpoint is not null && checkpoint.HasDataset(null) ? checkpoint.DatasetName(null) : null);
        ImageDataset? test = null;
        ImageDataset TestSplit() => test ??= host.LoadDataset(
            datasetName ?? throw new ConfigurationException("--index needs a data set: give --dataset NAME"),
            checkpoint?.DataFolder(result.GetValue(Data), datasetName) ?? result.GetValue(Data) ?? Path.Combine("data", datasetName)).Test;
        Shape inputShape = result.GetValue(Input) is string text ? SummaryCommand.ParseShape(text)
            : checkpoint?.InputShape()
            ?? (modelOption is not null && !File.Exists(modelOption) ? host.Catalog.Model(modelOption).DefaultInput : null)
            ?? (datasetName is not null ? TestSplit().SampleShape : new Shape(1, 28, 28));

        string layerName = result.GetValue(Layer)!;
        int layerIndex = FindLayer(spec, layerName);
        using IBackend backend = host.CreateBackend("cpu");
        ulong seed = result.GetValue(Seed);
        var lines = new List<(string, string)>
        {
            (checkpoint is null ? "model" : "checkpoint", checkpoint is null ? $"{spec.Name} (initial weights, seed {seed})" : checkpoint.Path),
        };
        if (!maps)
        {
            using Network network = Build(host, spec, backend, inputShape, checkpoint, seed);
            ILayer layer = network.Layers[layerIndex];
            (float[] values, Shape filterShape, bool isFixed) = Filters(layer, backend) ?? throw NotConvolution(network, layerName, layer);
            FilterPicture picture = FilterGrid.Render(values, filterShape, result.GetValue(MaxFilters), result.GetValue(MaxChannels), result.GetValue(Zoom), sharedScale: result.GetValue(SharedScale));
            FilterGrid.WithScaleBar(picture).SavePng(path);
            lines.Add(("layer", $"{layer.Name} ({layer.Kind}), {(isFixed ? "fixed kernels" : "weights")} {EvalCommand.Dims(filterShape)}"));
            lines.Add(("drawn", picture.Colour
                ? $"{picture.FiltersShown} of {picture.Filters} filters in colour (channels 0, 1, 2 as red, green, blue), {picture.Zoom} px per weight"
                : picture.Channels == 1 ? $"{picture.FiltersShown} of {picture.Filters} filters of one channel in a grid, {picture.Zoom} px per weight"
                : $"{picture.FiltersShown} of {picture.Filters} filters (rows) × {picture.ChannelsShown} of {picture.Channels} input channels (columns), {picture.Zoom} px per weight"));
            lines.Add(("scale", picture.Scale + "; the colour bar right of the grid shows it"));
        }
        else
        {
            ModelSpec truncated = new(spec.Name, spec.Layers.Take(layerIndex + 1).ToArray());
            using Network network = Build(host, truncated, backend, inputShape, checkpoint, seed);
            Shape mapShape = network.OutputShape;
            if (mapShape.Rank != 3)
            {
                throw new ConfigurationException($"layer '{layerName}' outputs {EvalCommand.Dims(mapShape)} per sample; feature maps need channels × height × width (a convolution, activation or pooling layer)");
            }
            float[] sample = LoadSample(imagePath, index, inputShape, TestSplit, lines);
            if (checkpoint?.EvaluationPipeline() is { Transforms.Count: > 0 } pipeline)
            {
                pipeline.Check(inputShape);
                pipeline.Apply(sample, inputShape, seed: 0, epoch: 1, index: 0);
                lines.Add(("normalize", pipeline.ToString()));
            }
            float[] activations = PredictCommand.Logits(network, sample);
            FeatureMapPicture picture = FeatureMapGrid.Render(activations, mapShape, result.GetValue(MaxFilters), result.GetValue(Zoom));
            FeatureMapGrid.WithScaleBar(picture).SavePng(path);
            ILayer layer = network.Layers[^1];
            lines.Add(("layer", $"{layer.Name} ({layer.Kind}), output {EvalCommand.Dims(mapShape)}"));
            lines.Add(("drawn", $"{picture.MapsShown} of {picture.Maps} maps, {picture.Zoom} px per activation"));
            lines.Add(("scale", picture.Scale + "; the colour bar right of the grid shows it"));
        }
        lines.Add(("image", $"{path} ({ImageSize(path)})"));
        foreach ((string key, string value) in lines)
        {
            output.WriteLine($"{key,-10} {value}");
        }
        return 0;
    }

    /// <summary>A layer's filter bank: its rank-4 <c>weight</c> parameter when its kind is a 2-D convolution, else null.</summary>
    internal static Parameter? ConvolutionWeight(ILayer layer) =>
        layer.Kind.EndsWith("conv2d", StringComparison.Ordinal)
            ? layer.Parameters.FirstOrDefault(p => p.Name == $"{layer.Name}.weight" && p.Value.Shape.Rank == 4)
            : null;

    /// <summary>
    /// A layer's filters on the host, learned (<see cref="ConvolutionWeight"/>) or fixed (<see cref="IFixedFilters"/>),
    /// and whether they are fixed; null when the layer has none.
    /// </summary>
    internal static (float[] Values, Shape Shape, bool Fixed)? Filters(ILayer layer, IBackend backend)
    {
        if (ConvolutionWeight(layer) is Parameter weight)
        {
            float[] values = new float[weight.Value.ElementCount];
            backend.CopyToHost<float>(weight.Value, values);
            return (values, weight.Value.Shape, false);
        }
        return layer is IFixedFilters { FilterShape.Rank: 4 } fixedFilters ? ([.. fixedFilters.FilterValues], fixedFilters.FilterShape, true) : null;
    }

    private static Network Build(EngineHost host, ModelSpec spec, IBackend backend, Shape inputShape, CheckpointModel? checkpoint, ulong seed)
    {
        Network network = Network.Build(spec, host.Catalog, backend, inputShape, seed);
        if (checkpoint is not null)
        {
            // Entries of layers after a truncation point are simply not asked for.
            Checkpoint.LoadWeights(network, checkpoint.Path);
        }
        return network;
    }

    // The names Network.Build gives: the spec's, else kind + a per-kind count (conv2d1, conv2d2, …).
    private static string[] LayerNames(ModelSpec spec)
    {
        var perKind = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        return spec.Layers.Select(l =>
        {
            int n = perKind[l.Kind] = perKind.GetValueOrDefault(l.Kind) + 1;
            return l.Name ?? $"{l.Kind}{n}";
        }).ToArray();
    }

    private static int FindLayer(ModelSpec spec, string name)
    {
        string[] names = LayerNames(spec);
        int index = Array.IndexOf(names, name);
        if (index < 0)
        {
            string[] convolutions = names.Where((_, i) => spec.Layers[i].Kind.EndsWith("conv2d", StringComparison.Ordinal)).ToArray();
            throw new ConfigurationException($"model '{spec.Name}' has no layer '{name}'; its convolutions: {(convolutions.Length == 0 ? "none" : string.Join(", ", convolutions))}");
        }
        return index;
    }

    private static ConfigurationException NotConvolution(Network network, string name, ILayer layer)
    {
        string[] convolutions = network.Layers.Where(l => ConvolutionWeight(l) is not null || l is IFixedFilters).Select(l => l.Name).ToArray();
        return new ConfigurationException($"layer '{name}' is a {layer.Kind}, not a 2-D convolution; the convolutions of '{network.Name}': {(convolutions.Length == 0 ? "none" : string.Join(", ", convolutions))}");
    }

    private static float[] LoadSample(string? imagePath, int? index, Shape inputShape, Func<ImageDataset> testSplit, List<(string, string)> lines)
    {
        if (index is int n)
        {
            ImageDataset test = testSplit();
            if (n < 0 || n >= test.Count)
            {
                throw new ConfigurationException($"--index {n} is out of range: the test split has {test.Count} examples (0 to {test.Count - 1})");
            }
            if (test.SampleShape != inputShape)
            {
                throw new ConfigurationException($"the test samples are {EvalCommand.Dims(test.SampleShape)} but the model takes {EvalCommand.Dims(inputShape)}");
            }
            var sample = new float[inputShape.ElementCount];
            test.CopySample(n, sample);
            lines.Add(("input", string.Create(CultureInfo.InvariantCulture, $"test sample {n} (label {test.ClassNames[test.GetLabel(n)]})")));
            return sample;
        }
        ImageInput image = ImageInput.Load(imagePath!, inputShape);
        lines.Add(("input", image.Description));
        if (image.Resized is string resized)
        {
            lines.Add(("resized", resized));
        }
        return image.Sample;
    }

    private static string ImageSize(string path)
    {
        Engine.Imaging.DecodedImage image = Engine.Imaging.ImageDecoder.Load(path);
        return $"{image.Width}×{image.Height}";
    }
}
