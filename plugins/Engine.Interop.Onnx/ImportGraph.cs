using System.Text.Json.Nodes;
using Onnx;

namespace Engine.Interop.Onnx;

/// <summary>A value of the graph during import: a constant, or a layer's output with its per-sample shape.</summary>
internal abstract record ImportValue;

/// <summary>A constant (initializer or Constant node).</summary>
internal sealed record ConstantImport(ConstantValue Value) : ImportValue;

/// <summary>
/// The output of engine layer <paramref name="Layer"/> (or the model input), per-sample <paramref name="Shape"/>.
/// <paramref name="PadBefore"/>/<paramref name="PadAfter"/> are set for the output of a spatial zero Pad
/// not yet folded into the Conv that reads it (the shape is then the padded one).
/// <paramref name="TransposeNode"/> is set for the output of a Transpose not yet folded: then either
/// <paramref name="Permutation"/> (the value's axis i is the layer output's axis Permutation[i], per
/// sample; the shape is the transposed one), or after a flatten <paramref name="Gather"/> (the value's
/// feature j is feature Gather[j] of the flattened layer output), which a Gemm/MatMul folds into its weight.
/// </summary>
internal sealed record LayerImport(string Layer, int[] Shape, int[]? PadBefore = null, int[]? PadAfter = null, string? PadNode = null,
    int[]? Permutation = null, int[]? Gather = null, string? TransposeNode = null) : ImportValue;

/// <summary>The state of one import: the layers made so far, the values by name and the weights.</summary>
internal sealed class ImportGraph
{
    private readonly GraphProto _graph;
    private readonly Dictionary<string, ImportValue> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);
    private readonly HashSet<string> _layerNames = new(StringComparer.Ordinal) { LayerSpec.ModelInput };
    private readonly Dictionary<string, JsonObject> _arguments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _kinds = new(StringComparer.Ordinal);
    private readonly List<LayerSpec> _layers = [];
    private readonly Dictionary<string, string> _outputNames = new(StringComparer.Ordinal);

    public ImportGraph(GraphProto graph, int opset)
    {
        _graph = graph;
        Opset = opset;
    }

    /// <summary>The default domain's opset of the model.</summary>
    public int Opset { get; }

    /// <summary>The per-sample input of the imported model (the graph input's, or its transposed layout).</summary>
    public Shape InputShape { get; private set; }

    /// <summary>Set when a leading Transpose was folded into the input: what the imported model reads.</summary>
    public string? InputLayout { get; private set; }

    /// <summary>The name of the graph's (one, non-initializer) input.</summary>
    public string InputName { get; private set; } = "";

    /// <summary>
    /// A Transpose of the graph input that keeps the batch axis, read by nothing else (Keras and
    /// tf2onnx models take N×H×W×C and transpose to N×C×H×W first): the imported model takes the
    /// transposed layout, the engine's own, so no layer is needed.
    /// </summary>
    public void ReadInputTransposed(int[] permutedShape, string layout)
    {
        InputShape = new Shape(permutedShape);
        InputLayout = layout;
    }

    /// <summary>The weights of the layers made so far, under checkpoint names.</summary>
    public StateDictionary State { get; } = new();

    public ModelPackage Import(string modelName)
    {
        foreach (TensorProto initializer in _graph.Initializer)
        {
            if (string.IsNullOrEmpty(initializer.Name) || !_values.TryAdd(initializer.Name, new ConstantImport(OnnxTensors.Decode(initializer, "initializer"))))
            {
                throw new FormatException($"initializer '{initializer.Name}' is unnamed or its name is used twice");
            }
        }
        InputShape = GraphInput();
        foreach (NodeProto node in _graph.Node)
        {
            foreach (string input in node.Input.Where(i => i.Length > 0))
            {
                _uses[input] = _uses.GetValueOrDefault(input) + 1;
            }
        }
        foreach (ValueInfoProto output in _graph.Output)
        {
            _uses[output.Name] = _uses.GetValueOrDefault(output.Name) + 1;
        }
        foreach (NodeProto node in _graph.Node)
        {
            var context = new NodeContext(this, node);
            context.CheckInputs();
            try
            {
                NodeImporters.Import(context);
            }
            catch (OverflowException e)
            {
                // Checked arithmetic on the node's sizes (a product of dimensions, a window) is the last guard.
                throw context.Error($"its sizes overflow 32 bits (a dimension, pad or product over {int.MaxValue}): {e.Message}");
            }
        }
        CheckGraphOutput();
        return new ModelPackage(new ModelSpec(modelName, _layers.ToArray()), InputShape, State);
    }

    private Shape GraphInput()
    {
        var inputs = _graph.Input.Where(i => !_values.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
        {
            throw new FormatException($"the graph has {inputs.Count} inputs besides its initializers ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); the engine's models take one");
        }
        ValueInfoProto input = inputs[0];
        TypeProto.Types.Tensor? tensor = input.Type?.TensorType;
        if (tensor is null || tensor.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            throw new FormatException($"graph input '{input.Name}' is not a float32 tensor");
        }
        var dims = tensor.Shape?.Dim.ToList() ?? [];
        if (dims.Count < 2)
        {
            throw new FormatException($"graph input '{input.Name}' has {dims.Count} dimensions; expected N×C or N×C×(spatial)");
        }
        var perSample = new int[dims.Count - 1];
        long elements = 1;
        for (int i = 1; i < dims.Count; i++)
        {
            if (!dims[i].HasDimValue || dims[i].DimValue < 1 || dims[i].DimValue > int.MaxValue)
            {
                throw new FormatException($"graph input '{input.Name}' axis {i} has no fixed positive size ({(dims[i].HasDimParam ? $"'{dims[i].DimParam}'" : dims[i].DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture))}); only the batch axis may vary");
            }
            perSample[i - 1] = (int)dims[i].DimValue;
            elements *= perSample[i - 1];
            if (elements > OnnxImporter.MaxInputElements)
            {
                throw new FormatException($"graph input '{input.Name}' has more than {OnnxImporter.MaxInputElements} elements per sample ({OnnxImporter.Format(dims.Skip(1).Select(d => (int)Math.Min(d.DimValue, int.MaxValue)))})");
            }
        }
        _values[input.Name] = new LayerImport(LayerSpec.ModelInput, perSample);
        InputName = input.Name;
        return new Shape(perSample);
    }

    public bool IsDefined(string name) => _values.ContainsKey(name);

    public ImportValue Value(string name) => _values[name];

    /// <summary>How many nodes (and graph outputs) read value <paramref name="name"/>.</summary>
    public int Uses(string name) => _uses.GetValueOrDefault(name);

    public void Define(string name, ImportValue value, NodeContext node)
    {
        if (!_values.TryAdd(name, value))
        {
            throw node.Error($"output '{name}' is already produced by an initializer or an earlier node (duplicate name)");
        }
        if (value is LayerImport layer && !_outputNames.ContainsKey(layer.Layer))
        {
            _outputNames[layer.Layer] = name;
        }
    }

    /// <summary>The ONNX value name that holds layer <paramref name="layer"/>'s output as the layer made it.</summary>
    public string? OutputName(string layer) => _outputNames.GetValueOrDefault(layer);

    /// <summary>After a constant folded into <paramref name="layer"/>, its output is the folding node's.</summary>
    public void SetOutputName(string layer, string name) => _outputNames[layer] = name;

    /// <summary>The last layer made, if any: the model's output.</summary>
    public string? LastLayer => _layers.Count == 0 ? null : _layers[^1].Name;

    public string Kind(string layer) => _kinds[layer];

    public JsonObject Arguments(string layer) => _arguments[layer];

    /// <summary>Appends a layer named after <paramref name="wanted"/> (made unique) and returns its name.</summary>
    public string AddLayer(string wanted, string kind, JsonObject arguments, IEnumerable<string> inputs)
    {
        string name = wanted;
        for (int k = 2; !_layerNames.Add(name); k++)
        {
            name = $"{wanted}_{k}";
        }
        _layers.Add(new LayerSpec(kind, arguments, name, inputs.ToArray()));
        _arguments[name] = arguments;
        _kinds[name] = kind;
        return name;
    }

    /// <summary>Checks that the graph's one output is the last layer's output (what an engine model returns).</summary>
    public void CheckGraphOutput()
    {
        if (_graph.Output.Count != 1)
        {
            throw new FormatException($"the graph has {_graph.Output.Count} outputs; the engine's models have one");
        }
        string name = _graph.Output[0].Name;
        if (!_values.TryGetValue(name, out ImportValue? value) || value is not LayerImport { PadBefore: null, TransposeNode: null } output || output.Layer == LayerSpec.ModelInput)
        {
            throw new FormatException($"graph output '{name}' is not the output of a layer");
        }
        if (output.Layer != LastLayer)
        {
            throw new FormatException($"graph output '{name}' comes from layer '{output.Layer}', not from the last node's layer '{LastLayer}'");
        }
    }
}
