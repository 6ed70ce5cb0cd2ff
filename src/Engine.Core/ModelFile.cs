using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Core;

/// <summary>
/// Reads a model from a JSON file:
/// <c>{"name": "mlp", "layers": [{"type": "flatten"}, {"type": "dense", "units": 256}, …]}</c>.
/// Every key of a layer other than <c>type</c>, <c>name</c> and <c>inputs</c> (the earlier layers
/// feeding it, by name; <c>input</c> is the model input) is an argument of that layer.
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
        var specs = new List<LayerSpec>();
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not JsonObject layer || layer["type"]?.GetValueKind() != JsonValueKind.String)
            {
                throw new DataFormatException(path, $"layer #{i + 1} must be an object with a string \"type\"");
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
            specs.Add(new LayerSpec(layer["type"]!.GetValue<string>(), arguments, layerName, ReadInputs(path, i, layer["inputs"])));
        }
        return new ModelSpec(name, specs) { AuxiliaryOutputs = ReadAuxiliary(path, model["auxiliary_outputs"]) };
    }

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
    private static string[]? ReadInputs(string path, int index, JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
        JsonArray a when a.Count > 0 && a.All(e => e?.GetValueKind() == JsonValueKind.String) => a.Select(e => e!.GetValue<string>()).ToArray(),
        _ => throw new DataFormatException(path, $"layer #{index + 1}: \"inputs\" must be a layer name or a non-empty array of layer names"),
    };
}
