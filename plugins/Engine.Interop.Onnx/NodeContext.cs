using System.Text.Json.Nodes;
using Onnx;

namespace Engine.Interop.Onnx;

/// <summary>One node being imported: its attributes and inputs, and errors that name it.</summary>
internal sealed class NodeContext(ImportGraph graph, NodeProto node)
{
    public ImportGraph Graph { get; } = graph;

    public NodeProto Node { get; } = node;

    public string OpType => Node.OpType;

    /// <summary>"node 'conv1' (Conv, domain ai.onnx, opset 13)".</summary>
    public string Describe() =>
        $"node '{(Node.Name.Length > 0 ? Node.Name : Node.Output.FirstOrDefault() ?? "?")}' ({Node.OpType}, domain {(Node.Domain.Length > 0 ? Node.Domain : "ai.onnx")}, opset {Graph.Opset})";

    public FormatException Error(string problem) => new($"{Describe()}: {problem}");

    /// <summary>Every input must be produced before the node: this catches cycles, dangling inputs and unsorted graphs.</summary>
    public void CheckInputs()
    {
        foreach (string input in Node.Input.Where(i => i.Length > 0))
        {
            if (!Graph.IsDefined(input))
            {
                throw Error($"input '{input}' is not the graph input, an initializer or the output of an earlier node (a cycle, a dangling input, or nodes out of order)");
            }
        }
        if (Node.Output.Count == 0 || Node.Output[0].Length == 0)
        {
            throw Error("the node has no output");
        }
    }

    public int InputCount => Node.Input.Count;

    public bool HasInput(int index) => index < Node.Input.Count && Node.Input[index].Length > 0;

    public bool IsConstant(int index) => HasInput(index) && Graph.Value(Node.Input[index]) is ConstantImport;

    /// <summary>
    /// Input <paramref name="index"/> as a layer output; a pending Pad is refused unless <paramref name="allowPad"/>,
    /// a pending Transpose unless <paramref name="allowTransposed"/>.
    /// </summary>
    public LayerImport Activation(int index, bool allowPad = false, bool allowTransposed = false)
    {
        if (!HasInput(index) || Graph.Value(Node.Input[index]) is not LayerImport value)
        {
            throw Error($"input {index} ('{(HasInput(index) ? Node.Input[index] : "")}') must be computed from the graph input, not a constant");
        }
        if (value.PadNode is not null && !allowPad)
        {
            throw Error($"reads the output of Pad node '{value.PadNode}'; spatial zero padding is supported only directly before a Conv");
        }
        if (value.TransposeNode is not null && !allowTransposed)
        {
            throw Error($"reads the output of Transpose node '{value.TransposeNode}'; a Transpose of computed values folds only into a Flatten (or Reshape to N×F) followed by Gemm/MatMul");
        }
        return value;
    }

    public ConstantValue Constant(int index)
    {
        if (!HasInput(index) || Graph.Value(Node.Input[index]) is not ConstantImport value)
        {
            throw Error($"input {index} ('{(HasInput(index) ? Node.Input[index] : "")}') must be a constant (an initializer or a Constant node)");
        }
        return value.Value;
    }

    public ConstantValue? OptionalConstant(int index) => HasInput(index) ? Constant(index) : null;

    /// <summary>Input <paramref name="index"/> as one constant value (Clip's bounds, Dropout's ratio), null when absent; NaN refused, infinities unless <paramref name="infinite"/>.</summary>
    public float? OptionalScalar(int index, bool infinite = false)
    {
        if (OptionalConstant(index) is not { } c)
        {
            return null;
        }
        if (c.Floats.Length != 1)
        {
            throw Error($"input {index} ('{Node.Input[index]}') holds {c.Floats.Length} values; one was expected");
        }
        float v = c.Floats[0];
        return float.IsFinite(v) || (infinite && float.IsInfinity(v)) ? v
            : throw Error($"input {index} ('{Node.Input[index]}') is {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}, not a finite number");
    }

    public AttributeProto? Attribute(string name) => Node.Attribute.FirstOrDefault(a => a.Name == name);

    public int Int(string name, int defaultValue) => Attribute(name) is { } a ? InRange(name, a.I) : defaultValue;

    /// <summary>
    /// Float attribute <paramref name="name"/>; NaN, or an infinity unless <paramref name="infinite"/>
    /// (Clip's open bounds), is refused: it becomes a layer argument, which JSON cannot even write.
    /// </summary>
    public float Float(string name, float defaultValue, bool infinite = false) => Attribute(name) is not { } a ? defaultValue
        : float.IsFinite(a.F) || (infinite && float.IsInfinity(a.F)) ? a.F
        : throw Error($"attribute {name} = {a.F.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a finite number");

    public string String(string name, string defaultValue) => Attribute(name) is { } a ? a.S.ToStringUtf8() : defaultValue;

    public int[]? Ints(string name) => Attribute(name) is { } a ? a.Ints.Select(v => InRange(name, v)).ToArray() : null;

    /// <summary>Attribute <paramref name="name"/> with one value per spatial axis (strides, dilations); <paramref name="defaultValue"/> when absent.</summary>
    public int[] Ints(string name, int count, int[] defaultValue) => Ints(name) is not int[] values ? defaultValue
        : values.Length == count ? values
        : throw Error($"{name} {OnnxImporter.Format(values)} should have {count} value{(count == 1 ? "" : "s")}, one per spatial axis");

    // ONNX attributes are 64-bit; every size, axis or count the engine takes fits 32 bits.
    private int InRange(string name, long value) => value is >= int.MinValue and <= int.MaxValue
        ? (int)value
        : throw Error($"attribute {name} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range");

    /// <summary>Defines the node's first output; any other output that something reads is refused.</summary>
    public void Define(ImportValue value)
    {
        // An activation of a hostile size (padding that wrapped around, a window larger than its input)
        // stops here, naming the node, before a layer is built on it.
        if (value is LayerImport { Shape: var shape } && (shape.Any(d => d < 1) || shape.Aggregate(1L, (a, d) => a > OnnxImporter.MaxInputElements ? a : a * d) > OnnxImporter.MaxInputElements))
        {
            throw Error($"its output {OnnxImporter.Format(shape)} has an empty axis or more than {OnnxImporter.MaxInputElements} elements per sample");
        }
        for (int i = 1; i < Node.Output.Count; i++)
        {
            if (Node.Output[i].Length > 0 && Graph.Uses(Node.Output[i]) > 0)
            {
                throw Error($"output {i} ('{Node.Output[i]}') is used, but the engine computes only the first output of {OpType}");
            }
        }
        Graph.Define(Node.Output[0], value, this);
    }

    /// <summary>
    /// The layer name: the prefix of the weight initializer's name (PyTorch's module path, <c>conv1</c>
    /// for <c>conv1.weight</c>), else the node's name with '/' as '.', else the operator and a number.
    /// </summary>
    public string LayerName(int weightInput = -1)
    {
        if (weightInput >= 0 && HasInput(weightInput))
        {
            string weight = Node.Input[weightInput];
            int dot = weight.LastIndexOf('.');
            if (dot > 0 && dot < weight.Length - 1)
            {
                return Clean(weight[..dot]);
            }
        }
        string name = Clean(ScopeName(Node.Name, OpType));
        return name.Length > 0 ? name : OpType.ToLowerInvariant();
    }

    /// <summary>Adds a layer reading <paramref name="inputs"/> and defines the node's output as its output.</summary>
    public string AddLayer(string kind, JsonObject arguments, int[] outputShape, int weightInput = -1, params string[] inputs)
    {
        string name = Graph.AddLayer(LayerName(weightInput), kind, arguments, inputs);
        Define(new LayerImport(name, outputShape));
        return name;
    }

    public void SetParameter(string layer, string parameter, int[] shape, float[] values) =>
        Graph.State.Set($"params/{layer}.{parameter}", new StateEntry(new Shape(shape), values));

    /// <summary>
    /// A module path from a node name: PyTorch writes <c>/layer2/down/down.0/Conv</c> (each scope, then the
    /// operator), which is module <c>layer2.down.0</c>, and <c>/layer1/Relu</c> for a function called in
    /// <c>layer1</c>; other names keep their parts joined by dots.
    /// </summary>
    internal static string ScopeName(string nodeName, string opType)
    {
        var parts = nodeName.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        bool scoped = parts.Count > 0 && (parts[^1] == opType || parts[^1].StartsWith(opType + "_", StringComparison.Ordinal));
        if (scoped)
        {
            parts.RemoveAt(parts.Count - 1);
        }
        var path = new List<string>();
        foreach (string part in parts)
        {
            // A scope named "down.0" under "down" is the child of that module, not a further level.
            if (path.Count > 0 && part.StartsWith(path[^1] + ".", StringComparison.Ordinal))
            {
                path[^1] = part;
            }
            else
            {
                path.Add(part);
            }
        }
        // The operator stays in the name unless the module is named after it (/relu/Relu is "relu", /layer1/Relu "layer1.relu").
        string op = opType.ToLowerInvariant();
        if (scoped && (path.Count == 0 || path[^1] != op))
        {
            path.Add(op);
        }
        return string.Join('.', path);
    }

    private static string Clean(string name) =>
        name == LayerSpec.ModelInput ? "input_layer" : new string(name.Where(c => !char.IsControl(c)).ToArray());
}
