using Google.Protobuf;
using Onnx;

namespace Engine.Interop.Onnx.Tests;

/// <summary>Builds small ONNX models with the protobuf types, as a third-party exporter would write them.</summary>
internal sealed class TestGraph
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private readonly int _opset;
    private int _next;

    public TestGraph(int[] inputShape, int opset = 13)
    {
        _opset = opset;
        InputShape = inputShape;
        _graph.Input.Add(Value("x", ["N", .. inputShape.Select(d => (object)d)]));
        Last = "x";
    }

    /// <summary>The graph input's per-sample shape.</summary>
    public int[] InputShape { get; }

    /// <summary>The most recent node's output.</summary>
    public string Last { get; private set; }

    /// <summary>Adds a float initializer of random values (uniform in [lo, hi)).</summary>
    public string Weight(string name, long[] dims, double lo = -0.5, double hi = 0.5)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        ulong seed = (ulong)(_graph.Initializer.Count + 1);
        float[] values = Enumerable.Range(0, (int)count).Select(i => (float)(lo + (hi - lo) * CounterRandom.Uniform(seed, (ulong)i))).ToArray();
        return Floats(name, dims, values);
    }

    public string Floats(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    public string Ints(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds a node reading <paramref name="inputs"/> (null: the last output) and returns its output.</summary>
    public string Node(string op, string[]? inputs = null, params AttributeProto[] attributes)
    {
        string output = $"{op.ToLowerInvariant()}_{_next++}";
        var node = new NodeProto { OpType = op, Name = $"/{op}_{_next}" };
        node.Input.AddRange(inputs ?? [Last]);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        Last = output;
        return output;
    }

    public NodeProto LastNode => _graph.Node[^1];

    public GraphProto Graph => _graph;

    public static AttributeProto I(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    public static AttributeProto F(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    public static AttributeProto S(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };

    public static AttributeProto Is(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    /// <summary>The model with output <see cref="Last"/> (of unknown shape, as exporters often leave it).</summary>
    public byte[] Build()
    {
        _graph.Output.Clear();
        _graph.Output.Add(new ValueInfoProto { Name = Last, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var model = new ModelProto { IrVersion = _opset >= 13 ? 7 : 4, Graph = _graph, ProducerName = "test" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object d in dims)
        {
            shape.Dim.Add(d is int v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = (string)d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
