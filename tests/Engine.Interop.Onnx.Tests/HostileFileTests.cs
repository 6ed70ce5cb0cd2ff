using Google.Protobuf;
using Onnx;
using static Engine.Interop.Onnx.Tests.TestGraph;

namespace Engine.Interop.Onnx.Tests;

/// <summary>Malformed and hostile files: each one clear error naming what is wrong, nothing read or allocated first.</summary>
public sealed class HostileFileTests
{
    internal static string Error(byte[] model) =>
        Assert.Throws<DataFormatException>(() => OnnxImporter.Import(model, "bad.onnx", "bad")).Message;

    private static TestGraph Small()
    {
        var g = new TestGraph([2, 5, 5]);
        g.Node("Conv", ["x", g.Weight("c.weight", [3, 2, 3, 3])]);
        g.Node("Relu");
        return g;
    }

    [Fact]
    public void TruncatedProtobuf()
    {
        byte[] model = Small().Build();
        Assert.Contains("truncated or not protobuf", Error(model[..(model.Length / 2)]));
    }

    [Fact]
    public void UnknownOperatorNamesNodeOpTypeDomainAndOpset()
    {
        TestGraph g = Small();
        g.Node("Einsum");
        Assert.Contains("node '/Einsum_3' (Einsum, domain ai.onnx, opset 13): no engine layer for this operator", Error(g.Build()));
    }

    [Fact]
    public void CustomDomainIsNamed()
    {
        TestGraph g = Small();
        g.Node("Relu");
        g.LastNode.Domain = "com.example";
        Assert.Contains("(Relu, domain com.example, opset 13)", Error(g.Build()));
    }

    [Fact]
    public void InitializerClaimingTerabytesIsRefusedBeforeAllocation()
    {
        TestGraph g = Small();
        g.Graph.Initializer[0].Dims.Clear();
        g.Graph.Initializer[0].Dims.AddRange([1_000_000, 1_000_000, 1_000, 3]);
        Assert.Contains("initializer tensor 'c.weight' has dimensions [1000000, 1000000, 1000, 3] (3000000000000000 elements) but holds 54 values", Error(g.Build()));
    }

    [Fact]
    public void HugeInputIsRefused()
    {
        var g = new TestGraph([3, 1_000_000, 1_000_000]);
        g.Node("Relu");
        Assert.Contains("graph input 'x' has more than", Error(g.Build()));
    }

    [Fact]
    public void ExternalDataIsNeverRead()
    {
        TestGraph g = Small();
        TensorProto w = g.Graph.Initializer[0];
        w.FloatData.Clear();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        Assert.Contains("'c.weight' keeps its data in an external file ('../../etc/passwd'), which is never read", Error(g.Build()));
    }

    [Fact]
    public void CycleOrDanglingInput()
    {
        TestGraph g = Small();
        g.Graph.Node[0].Input[0] = g.Graph.Node[1].Output[0]; // conv reads relu, which reads conv
        Assert.Contains("input 'relu_1' is not the graph input, an initializer or the output of an earlier node", Error(g.Build()));
    }

    [Fact]
    public void DuplicateOutputNames()
    {
        TestGraph g = Small();
        g.Node("Relu");
        g.LastNode.Output[0] = g.Graph.Node[1].Output[0];
        Assert.Contains("output 'relu_1' is already produced", Error(g.Build()));
    }

    [Fact]
    public void OpsetOutOfRange()
    {
        var model = ModelProto.Parser.ParseFrom(Small().Build());
        model.OpsetImport[0].Version = 7;
        Assert.Contains("opset 7 is not supported; the importer reads opsets 9 to 21", Error(model.ToByteArray()));
    }

    [Fact]
    public void UnmappableAttributeIsNamed()
    {
        var g = new TestGraph([2, 5, 5]);
        g.Node("MaxPool", null, Is("kernel_shape", 2, 2), Is("dilations", 2, 2));
        Assert.Contains("(MaxPool, domain ai.onnx, opset 13): dilated pooling has no engine layer", Error(g.Build()));
    }
}
