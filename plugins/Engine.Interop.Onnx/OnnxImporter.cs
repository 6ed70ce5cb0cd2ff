using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Onnx;

namespace Engine.Interop.Onnx;

/// <summary>
/// Reads an ONNX model into an engine model: one float input N×C×(spatial) with fixed C and spatial
/// sizes, one output, and nodes of the default domain at opsets <see cref="MinOpset"/>–<see cref="MaxOpset"/>
/// that map to engine layers (<see cref="NodeImporters"/>). Everything is validated before it is used:
/// the protobuf, the opset, every tensor's size against the data present, the graph's order (a cycle or
/// a dangling input is an input not produced before its node), duplicate names. Errors are
/// <see cref="DataFormatException"/>s naming the file and the node (name, operator, domain, opset).
/// </summary>
internal static class OnnxImporter
{
    /// <summary>The oldest opset read.</summary>
    public const int MinOpset = 9;

    /// <summary>The newest opset read.</summary>
    public const int MaxOpset = 21;

    /// <summary>Largest per-sample input accepted (elements): a larger one is a hostile or mistaken header.</summary>
    public const long MaxInputElements = 1L << 28;

    /// <summary>Reads the model at <paramref name="path"/>.</summary>
    public static ModelPackage Read(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new DataFormatException(path, "file not found");
        }
        if (file.Length > int.MaxValue)
        {
            throw new DataFormatException(path, $"{file.Length} bytes is larger than the 2 GiB a protobuf model can hold");
        }
        return Import(File.ReadAllBytes(path), path, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Reads a model from its bytes; <paramref name="source"/> names it in errors.</summary>
    public static ModelPackage Import(byte[] bytes, string source, string fallbackName)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DataFormatException(source, $"not a readable ONNX model (truncated or not protobuf): {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            throw new DataFormatException(source, "the model has no graph or its graph has no nodes");
        }
        int opset = DefaultOpset(model, source);
        string name = string.IsNullOrWhiteSpace(model.Graph.Name) ? fallbackName : model.Graph.Name;
        try
        {
            var graph = new ImportGraph(model.Graph, opset);
            ModelPackage package = graph.Import(string.IsNullOrWhiteSpace(name) ? "onnx-model" : name);
            JsonObject metadata = Metadata(model, opset);
            if (graph.InputLayout is not null)
            {
                metadata["input_layout"] = graph.InputLayout;
            }
            return package with { Metadata = metadata };
        }
        catch (Exception e) when (e is FormatException or ConfigurationException or ShapeException)
        {
            throw new DataFormatException(source, e.Message, e);
        }
    }

    private static int DefaultOpset(ModelProto model, string source)
    {
        OperatorSetIdProto? entry = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (entry is null)
        {
            throw new DataFormatException(source, "the model imports no opset of the default domain (ai.onnx)");
        }
        if (entry.Version < MinOpset || entry.Version > MaxOpset)
        {
            throw new DataFormatException(source, $"opset {entry.Version} is not supported; the importer reads opsets {MinOpset} to {MaxOpset}");
        }
        return (int)entry.Version;
    }

    // Metadata values the exporter wrote as JSON (normalisation, class names) come back as JSON.
    private static JsonObject Metadata(ModelProto model, int opset)
    {
        var metadata = new JsonObject
        {
            ["onnx_producer"] = $"{model.ProducerName} {model.ProducerVersion}".Trim(),
            ["onnx_opset"] = opset,
        };
        foreach (StringStringEntryProto entry in model.MetadataProps)
        {
            JsonNode? value = null;
            if (entry.Value.StartsWith('{') || entry.Value.StartsWith('['))
            {
                try
                {
                    value = JsonNode.Parse(entry.Value);
                }
                catch (JsonException)
                {
                    value = null;
                }
            }
            metadata[entry.Key] = value ?? JsonValue.Create(entry.Value);
        }
        return metadata;
    }

    internal static string Format(IEnumerable<int> dims) => string.Join("×", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));
}
