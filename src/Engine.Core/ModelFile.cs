using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Core;

/// <summary>
/// Reads a model from a JSON file:
/// <c>{"name": "mlp", "layers": [{"type": "flatten"}, {"type": "dense", "units": 256}, …]}</c>.
/// Every key of a layer other than <c>type</c>, <c>name</c> and <c>inputs</c> (the earlier layers
/// feeding it, by name; <c>input</c> is the model input) is an argument of that layer.
/// A <c>{"repeat": N, "name": "layer2", "layers": [...]}</c> entry repeats a block (see
/// <see cref="ModelBuilder.Repeat"/>): it is expanded on load, and <see cref="Save"/> writes it expanded.
/// Errors name the file, and the line or layer index. <see cref="Save"/> writes the same format.
/// </summary>
public static class ModelFile
{
    /// <summary>Loads and validates the structure of <paramref name="path"/>.</summary>
    public static ModelSpec Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, Directory.Exists(path) ? "is a folder, not a model file" : "model file does not exist");
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(TextFileReader.Read(path, "model file"), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"invalid JSON{(e.LineNumber is long line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "")}: {e.Message.Split('.')[0]}");
        }
        return FromJson(root, path);
    }

    /// <summary>
    /// Reads a model already parsed from JSON (the object <see cref="ToJson"/> writes, e.g. a
    /// checkpoint's <c>model_spec</c> metadata). Errors name <paramref name="source"/>, and a model
    /// without a <c>name</c> is named after it (its file name without extension).
    /// </summary>
    public static ModelSpec FromJson(JsonNode? root, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        string path = source;
        if (root is not JsonObject model)
        {
            throw new DataFormatException(path, "the top level must be a JSON object with \"layers\"");
        }
        string name = model["name"]?.GetValueKind() == JsonValueKind.String ? model["name"]!.GetValue<string>() : Path.GetFileNameWithoutExtension(path);
        if (model["layers"] is not JsonArray layers || layers.Count == 0)
        {
            throw new DataFormatException(path, "\"layers\" must be a non-empty array of layer objects");
        }
        var builder = new ModelBuilder(string.IsNullOrWhiteSpace(name) ? "model" : name);
        try
        {
            for (int i = 0; i < layers.Count; i++)
            {
                AddEntry(path, builder, layers[i], $"layer #{i + 1}");
            }
            return builder.Build() with { Name = name, AuxiliaryOutputs = ReadAuxiliary(path, model["auxiliary_outputs"]) };
        }
        catch (ConfigurationException e)
        {
            // The builder's errors (a repeated block's bad reference or count, a duplicate name) are this file's.
            throw new DataFormatException(path, e.Message);
        }
    }

    // One entry of "layers": a layer, or {"repeat": N, "name": "layer2", "start": 0, "layers": [...]}.
    private static void AddEntry(string path, ModelBuilder builder, JsonNode? entry, string where)
    {
        if (entry is JsonObject block && block.ContainsKey("repeat") && !block.ContainsKey("type"))
        {
            AddRepeat(path, builder, block, where);
            return;
        }
        if (entry is not JsonObject layer || layer["type"]?.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(layer["type"]!.GetValue<string>()))
        {
            throw new DataFormatException(path, $"{where} must be an object with a string \"type\" (or a \"repeat\" block)");
        }
        var arguments = new JsonObject();
        foreach (var (key, value) in layer)
        {
            if (key is not "type" and not "name" and not "inputs")
            {
                arguments[key] = value?.DeepClone();
            }
        }
        string? layerName = layer["name"]?.GetValueKind() == JsonValueKind.String ? layer["name"]!.GetValue<string>() : null;
        builder.Add(layer["type"]!.GetValue<string>(), arguments, layerName, ReadInputs(path, where, layer["inputs"]) ?? []);
    }

    private static void AddRepeat(string path, ModelBuilder builder, JsonObject block, string where)
    {
        if (block["name"]?.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(block["name"]!.GetValue<string>()))
        {
            throw new DataFormatException(path, $"{where}: a \"repeat\" block needs a string \"name\" (the prefix of its layer names)");
        }
        string name = block["name"]!.GetValue<string>();
        int times = ReadCount(path, where, name, block["repeat"], "repeat", 1);
        int start = block["start"] is null ? 0 : ReadCount(path, where, name, block["start"], "start", 0);
        if (block["layers"] is not JsonArray layers || layers.Count == 0)
        {
            throw new DataFormatException(path, $"{where}: repeat '{name}': \"layers\" must be a non-empty array of layer objects");
        }
        foreach (var (key, _) in block)
        {
            if (key is not "repeat" and not "name" and not "start" and not "layers")
            {
                throw new DataFormatException(path, $"{where}: repeat '{name}': unknown key '{key}' (known: repeat, name, start, layers)");
            }
        }
        builder.Repeat(name, times, (inner, index) =>
        {
            for (int k = 0; k < layers.Count; k++)
            {
                AddEntry(path, inner, layers[k], $"repeat '{name}' repetition {index} layer #{k + 1}");
            }
        }, start);
    }

    private static int ReadCount(string path, string where, string name, JsonNode? node, string key, int minimum) =>
        node?.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue(out int value) && value >= minimum
            ? value
            : throw new DataFormatException(path, $"{where}: repeat '{name}': \"{key}\" must be an integer ≥ {minimum}, got {node?.ToJsonString() ?? "nothing"}");

    /// <summary>Writes <paramref name="spec"/> to <paramref name="path"/> in the format <see cref="Load"/> reads.</summary>
    public static void Save(ModelSpec spec, string path) => File.WriteAllText(path, ToJson(spec));

    /// <summary>The JSON text of <paramref name="spec"/>: one layer object per line, keys type, name, inputs, then arguments.</summary>
    public static string ToJson(ModelSpec spec)
    {
        var lines = new List<string>();
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            var node = new JsonObject { ["type"] = layer.Kind };
            if (layer.Name is not null)
            {
                node["name"] = layer.Name;
            }
            if (layer.Inputs is { Count: > 0 } inputs)
            {
                node["inputs"] = new JsonArray(inputs.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
            }
            foreach (var (key, value) in layer.Arguments ?? [])
            {
                // Load reads these three keys as structure, so an argument with such a name could not round-trip.
                if (key is "type" or "name" or "inputs")
                {
                    throw new ConfigurationException($"model '{spec.Name}' layer #{i + 1} ({layer.Kind}): an argument may not be called '{key}'");
                }
                node[key] = value?.DeepClone();
            }
            lines.Add("    " + node.ToJsonString(Compact));
        }
        // One layer per line: diffs of model files then show which layer changed.
        string auxiliary = spec.AuxiliaryOutputs.Count == 0 ? "" : ",\n  \"auxiliary_outputs\": " + new JsonArray(spec.AuxiliaryOutputs.Select(a => (JsonNode?)new JsonObject { ["layer"] = a.Layer, ["weight"] = a.Weight }).ToArray()).ToJsonString(Compact);
        return $"{{\n  \"name\": {JsonValue.Create(spec.Name).ToJsonString(Compact)},\n  \"layers\": [\n{string.Join(",\n", lines)}\n  ]{auxiliary}\n}}\n";
    }

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // "auxiliary_outputs": [{"layer": "aux1_fc2", "weight": 0.3}, …]: extra outputs used in training.
    private static AuxiliaryOutput[] ReadAuxiliary(string path, JsonNode? node)
    {
        if (node is null)
        {
            return [];
        }
        if (node is not JsonArray array)
        {
            throw new DataFormatException(path, "\"auxiliary_outputs\" must be an array of {\"layer\": name, \"weight\": number}");
        }
        return array.Select((e, i) => e is JsonObject o && o["layer"]?.GetValueKind() == JsonValueKind.String && o["weight"]?.GetValueKind() == JsonValueKind.Number
            ? new AuxiliaryOutput(o["layer"]!.GetValue<string>(), o["weight"]!.GetValue<double>())
            : throw new DataFormatException(path, $"auxiliary output #{i + 1} must be {{\"layer\": name, \"weight\": number}}")).ToArray();
    }

    // "inputs": "name" or ["a", "b"]: the earlier layers feeding this one.
    private static string[]? ReadInputs(string path, string where, JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
        JsonArray a when a.Count > 0 && a.All(e => e?.GetValueKind() == JsonValueKind.String) => a.Select(e => e!.GetValue<string>()).ToArray(),
        _ => throw new DataFormatException(path, $"{where}: \"inputs\" must be a layer name or a non-empty array of layer names"),
    };
}
