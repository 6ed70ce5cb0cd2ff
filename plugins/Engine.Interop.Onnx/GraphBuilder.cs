using Google.Protobuf;
using Onnx;

namespace Engine.Interop.Onnx;

/// <summary>Appends nodes and initializers to an ONNX graph, keeping value names unique.</summary>
internal sealed class GraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new();

    /// <summary>A value name not used yet: <paramref name="wanted"/>, else it with a numeric suffix.</summary>
    public string Unique(string wanted)
    {
        string name = wanted;
        for (int k = 2; !_names.Add(name); k++)
        {
            name = $"{wanted}_{k}";
        }
        return name;
    }

    /// <summary>Adds a float32 initializer (raw little-endian data) and returns its name.</summary>
    public string Initializer(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        byte[] raw = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this machine is not");
        }
        tensor.RawData = ByteString.CopyFrom(raw);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds an int64 initializer (shapes, pads) and returns its name.</summary>
    public string Int64Initializer(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node named <paramref name="name"/> whose one output is a fresh value named after it; returns that value's name.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string output = Unique(name);
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Ints(string name, IEnumerable<int> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values.Select(v => (long)v));
        return a;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, double value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    /// <summary>A tensor value type: float32 with a symbolic batch dimension <c>N</c> and fixed others.</summary>
    public static ValueInfoProto FloatValue(string name, IEnumerable<int> perSample)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (int d in perSample)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
