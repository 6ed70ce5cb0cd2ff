using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Onnx;

namespace Engine.Interop.Onnx;

/// <summary>
/// Writes an engine model as an ONNX <c>ModelProto</c> at opset <see cref="Opset"/>: one input
/// <c>input</c> (N×C×H×W, N symbolic), one output <c>output</c>, the weights as initializers named
/// <c>&lt;layer&gt;.&lt;parameter&gt;</c>, nodes named after the engine's layers, and
/// <see cref="ModelPackage.Metadata"/> (the normalisation, class names) as metadata properties.
/// Only the layers the output depends on are written: auxiliary heads (GoogLeNet's training-only
/// classifiers) are left out with their weights, as inference leaves them out. A layer kind ONNX has no operator for is an error naming the layer.
/// </summary>
internal static class OnnxExporter
{
    /// <summary>The opset written.</summary>
    public const int Opset = 13;

    /// <summary>IR version 8 (ONNX 1.10+), what opset 13 files carry.</summary>
    public const long IrVersion = 8;

    /// <summary>Name of the graph's input.</summary>
    public const string InputName = "input";

    /// <summary>Name of the graph's output.</summary>
    public const string OutputName = "output";

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> (through a temporary file, so a failure leaves no partial file).</summary>
    public static void Write(ModelPackage model, string path)
    {
        ModelProto proto = Build(model);
        string temporary = path + ".tmp";
        try
        {
            using (FileStream stream = File.Create(temporary))
            {
                proto.WriteTo(stream);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The ONNX model of <paramref name="model"/>.</summary>
    public static ModelProto Build(ModelPackage model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = new GraphBuilder();
        graph.Graph.Name = model.Spec.Name;
        var input = new ExportValue(graph.Unique(InputName), model.InputShape.ToArray());
        var values = new Dictionary<string, ExportValue>(StringComparer.Ordinal) { [LayerSpec.ModelInput] = input };
        var perKind = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        ExportValue last = input;
        bool[] written = MainOutputLayers(model.Spec);
        for (int i = 0; i < model.Spec.Layers.Count; i++)
        {
            LayerSpec layer = model.Spec.Layers[i];
            int n = perKind[layer.Kind] = perKind.GetValueOrDefault(layer.Kind) + 1;
            if (!written[i])
            {
                continue; // a layer reading it would be written too, so `last` is never a skipped layer
            }
            string name = layer.Name ?? $"{layer.Kind}{n}";
            string owner = $"layer '{name}' ({layer.Kind})";
            ExportValue[] inputs = layer.Inputs is null
                ? [last]
                : layer.Inputs.Select(x => values.TryGetValue(x, out ExportValue? v) ? v : throw new ConfigurationException($"{owner}: input '{x}' is not an earlier layer")).ToArray();
            var context = new LayerExport(graph, model.State, name, layer.Kind, new LayerArguments(owner, layer.Arguments), inputs);
            last = LayerExporters.Export(context);
            values[name] = last;
        }
        graph.Graph.Node.Add(new NodeProto { OpType = "Identity", Name = OutputName, Input = { last.Name }, Output = { OutputName } });
        graph.Graph.Input.Add(GraphBuilder.FloatValue(input.Name, input.Shape));
        graph.Graph.Output.Add(GraphBuilder.FloatValue(OutputName, last.Shape));
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "engine",
            ProducerVersion = EngineSdk.Version.ToString(),
            DocString = $"{model.Spec.Name}, exported by the engine's ONNX plugin",
            Graph = graph.Graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach ((string key, JsonNode? value) in model.Metadata)
        {
            string text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? "null";
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = text });
        }
        return proto;
    }

    /// <summary>
    /// Per layer, whether the last layer's output depends on it: a walk back from the last layer through
    /// the inputs (by name, unnamed layers being kind + index as the network names them). A name that
    /// does not resolve is left to the export loop, which reports it.
    /// </summary>
    internal static bool[] MainOutputLayers(ModelSpec spec)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal) { [LayerSpec.ModelInput] = -1 };
        var perKind = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var sources = new int[spec.Layers.Count][];
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            int n = perKind[layer.Kind] = perKind.GetValueOrDefault(layer.Kind) + 1;
            sources[i] = layer.Inputs is null ? [i - 1] : layer.Inputs.Select(x => index.GetValueOrDefault(x, -1)).ToArray();
            index.TryAdd(layer.Name ?? $"{layer.Kind}{n}", i);
        }
        var main = new bool[spec.Layers.Count];
        for (int i = main.Length - 1; i >= 0; i--)
        {
            if (i == main.Length - 1 || main[i])
            {
                main[i] = true;
                foreach (int source in sources[i].Where(s => s >= 0))
                {
                    main[source] = true;
                }
            }
        }
        return main;
    }

    /// <summary>Serialises <paramref name="model"/> to bytes (tests hand these to ONNX Runtime).</summary>
    public static byte[] ToBytes(ModelPackage model) => Build(model).ToByteArray();

    internal static string Format(IEnumerable<int> dims) => string.Join("×", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));
}

/// <summary>An ONNX value and its per-sample shape (the batch dimension left out).</summary>
internal sealed record ExportValue(string Name, int[] Shape);

/// <summary>What one layer's export needs: the graph, the weights, the layer and its inputs.</summary>
internal sealed record LayerExport(GraphBuilder Graph, StateDictionary State, string Name, string Kind, LayerArguments Arguments, ExportValue[] Inputs)
{
    public string Owner => Arguments.Owner;

    /// <summary>The one input of a single-input layer.</summary>
    public ExportValue Input => Inputs.Length == 1 ? Inputs[0] : throw new ConfigurationException($"{Owner}: takes one input, got {Inputs.Length}");

    /// <summary>Whether the model has parameter <paramref name="parameter"/> of this layer.</summary>
    public bool HasParameter(string parameter) => State.Contains($"params/{Name}.{parameter}");

    /// <summary>Parameter <paramref name="parameter"/> of this layer as float32 with its shape.</summary>
    public (float[] Values, int[] Shape) Parameter(string parameter) => Entry($"params/{Name}.{parameter}");

    /// <summary>Layer state <paramref name="entry"/> (batch-norm running statistics).</summary>
    public (float[] Values, int[] Shape) LayerState(string entry) => Entry($"layers/{Name}/{entry}");

    /// <summary>Adds parameter <paramref name="parameter"/> as an initializer <c>&lt;layer&gt;.&lt;parameter&gt;</c>, with <paramref name="dims"/> when given, else its own shape.</summary>
    public string Initializer(string parameter, int[]? dims = null, bool state = false)
    {
        (float[] values, int[] shape) = state ? LayerState(parameter) : Parameter(parameter);
        return Graph.Initializer($"{Name}.{parameter}", values, (dims ?? shape).Select(d => (long)d).ToArray());
    }

    private (float[] Values, int[] Shape) Entry(string key)
    {
        if (!State.Contains(key))
        {
            throw new ConfigurationException($"{Owner}: the model's weights have no entry '{key}'");
        }
        StateEntry entry = State[key];
        float[] values = entry.Values switch
        {
            float[] f => f,
            double[] d => Array.ConvertAll(d, x => (float)x),
            _ => throw new ConfigurationException($"{Owner}: entry '{key}' is not floating point"),
        };
        return (values, entry.Shape.ToArray());
    }
}
