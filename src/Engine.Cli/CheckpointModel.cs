using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// What <c>engine eval</c> and <c>engine predict</c> take from a checkpoint written by <c>engine train</c>:
/// its metadata (model spec and seed, data set and folder, augmentation, input shape, class names) and,
/// through <see cref="BuildNetwork"/>, the trained network. Command-line options override the metadata;
/// a value needed and found in neither is an error naming the metadata key and the option to give.
/// </summary>
internal sealed class CheckpointModel
{
    private CheckpointModel(string path, JsonObject metadata)
    {
        Path = path;
        Metadata = metadata;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>The checkpoint's metadata.</summary>
    public JsonObject Metadata { get; }

    /// <summary>
    /// The metadata <c>engine train</c> stores so that eval and predict need nothing else: the keys
    /// this class reads back.
    /// </summary>
    public static JsonObject Describe(ModelSpec spec, ulong modelSeed, string dataset, string dataFolder, string? augmentation, Shape inputShape, IReadOnlyList<string> classNames) => new()
    {
        ["model"] = spec.Name,
        ["model_spec"] = JsonNode.Parse(ModelFile.ToJson(spec)),
        ["model_seed"] = modelSeed,
        ["dataset"] = dataset,
        ["data"] = System.IO.Path.GetFullPath(dataFolder),
        ["augment"] = augmentation,
        ["input_shape"] = new JsonArray(inputShape.AsSpan().ToArray().Select(d => (JsonNode)d).ToArray()),
        ["class_names"] = new JsonArray(classNames.Select(n => (JsonNode)n).ToArray()),
    };

    /// <summary>Reads the checkpoint at <paramref name="path"/> (a missing or corrupt file is a <see cref="DataFormatException"/> naming it).</summary>
    public static CheckpointModel Open(string path) =>
        // Only the metadata is kept: the arrays are read again, into the network, by Checkpoint.LoadWeights.
        new(path, Checkpoint.Read(path).Metadata);

    /// <summary>The data-set loader name: <paramref name="option"/>, else the metadata's <c>dataset</c>.</summary>
    public string DatasetName(string? option) => option ?? String("dataset") ?? throw Missing("dataset", "--dataset NAME");

    /// <summary>Whether a data set is named by <paramref name="option"/> or the metadata.</summary>
    public bool HasDataset(string? option) => option is not null || String("dataset") is not null;

    /// <summary>The data folder: <paramref name="option"/>, else the metadata's <c>data</c>, else data/&lt;dataset&gt;.</summary>
    public string DataFolder(string? option, string dataset) => option ?? String("data") ?? System.IO.Path.Combine("data", dataset);

    /// <summary>The per-sample input shape the network was trained on (metadata <c>input_shape</c>), or null when absent.</summary>
    public Shape? InputShape()
    {
        if (Metadata["input_shape"] is not JsonNode node)
        {
            return null;
        }
        int[]? dims = node is JsonArray array && array.Count > 0
            ? array.Select(d => d is JsonValue v && v.TryGetValue(out int n) && n > 0 ? n : -1).ToArray()
            : null;
        if (dims is null || dims.Contains(-1))
        {
            throw new DataFormatException(Path, $"metadata \"input_shape\" must be an array of positive integers such as [1, 28, 28], got {node.ToJsonString()}");
        }
        return new Shape(dims);
    }

    /// <summary>The class names stored at training time (metadata <c>class_names</c>), or null when absent.</summary>
    public IReadOnlyList<string>? ClassNames()
    {
        if (Metadata["class_names"] is not JsonNode node)
        {
            return null;
        }
        return node is JsonArray array && array.All(n => n?.GetValueKind() == JsonValueKind.String)
            ? array.Select(n => n!.GetValue<string>()).ToArray()
            : throw new DataFormatException(Path, $"metadata \"class_names\" must be an array of strings, got {node.ToJsonString()}");
    }

    /// <summary>
    /// The evaluation side of the training augmentation (metadata <c>augment</c>, a spec string or a
    /// JSON array): the deterministic transforms, i.e. the normalisation, without which the network
    /// would see inputs on another scale than it was trained on.
    /// </summary>
    public AugmentationPipeline EvaluationPipeline()
    {
        JsonNode? node = Metadata["augment"];
        try
        {
            return node switch
            {
                null => AugmentationPipeline.None,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => AugmentationPipeline.Parse(v.GetValue<string>()).ForEvaluation(),
                _ => AugmentationPipeline.FromJson(node).ForEvaluation(),
            };
        }
        catch (ConfigurationException e)
        {
            throw new DataFormatException(Path, $"metadata \"augment\": {e.Message}", e);
        }
    }

    /// <summary>
    /// Builds the model (<paramref name="modelOption"/>, else the metadata's <c>model_spec</c>) for
    /// <paramref name="inputShape"/> on <paramref name="backend"/> and loads every parameter and layer
    /// state from the checkpoint. Unlike transfer learning, nothing may be left out: an entry that is
    /// missing or of another shape is an error listing each one, since predictions with some weights
    /// still at their initial values would be meaningless. Layers the backend cannot run go to
    /// <paramref name="fallback"/> (see <see cref="Network.Build"/>).
    /// </summary>
    public Network BuildNetwork(EngineHost host, IBackend backend, string? modelOption, Shape inputShape, LayerFallback? fallback = null)
    {
        ModelSpec spec = Spec(host, modelOption);
        Network network = Network.Build(spec, host.Catalog, backend, inputShape, ModelSeed(), fallback: fallback);
        try
        {
            WeightLoadReport report = Checkpoint.LoadWeights(network, Path);
            if (report.Skipped.Count > 0)
            {
                string list = string.Join("; ", report.Skipped.Select(s => $"{s.Name} ({s.Reason})"));
                throw new DataFormatException(Path, $"the weights do not fit model '{spec.Name}' with input {EvalCommand.Dims(inputShape)}: {report.Skipped.Count} entr{(report.Skipped.Count == 1 ? "y" : "ies")} not loaded: {list}");
            }
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The model stored in the metadata (<c>model_spec</c>).</summary>
    public ModelSpec Spec() => MetadataSpec();
    /// <summary>The model: <paramref name="modelOption"/>, else the metadata's <c>model_spec</c>.</summary>
    public ModelSpec Spec(EngineHost host, string? modelOption) => modelOption is not null ? ModelFormats.ResolveModel(host, modelOption) : MetadataSpec();

    // The spec is stored as the JSON object ModelFile writes; a string holding that JSON is accepted too.
    private ModelSpec MetadataSpec()
    {
        JsonNode node = Metadata["model_spec"] ?? throw Missing("model_spec", "--model NAME|FILE.json");
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            try
            {
                node = JsonNode.Parse(v.GetValue<string>()) ?? node;
            }
            catch (JsonException e)
            {
                throw new DataFormatException(Path, $"metadata \"model_spec\" is not valid model JSON: {e.Message}", e);
            }
        }
        return ModelFile.FromJson(node, $"{Path} (metadata \"model_spec\")");
    }

    // Weights are loaded over the initialisation, so the seed matters only for layers that draw at
    // inference time; it is kept so the rebuilt network is the trained one in every respect.
    private ulong ModelSeed() =>
        Metadata["model_seed"] is JsonValue v && v.TryGetValue(out ulong seed) ? seed : 1UL;

    private string? String(string key) =>
        Metadata[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private ConfigurationException Missing(string key, string option) =>
        new(string.Create(CultureInfo.InvariantCulture, $"checkpoint {Path} has no \"{key}\" in its metadata; give {option}"));
}
