using Engine.Core;
using static Engine.Interop.Onnx.Tests.TestGraph;

namespace Engine.Interop.Onnx.Tests;

/// <summary>
/// One hand-built ONNX graph per supported operator and attribute combination: imported into an
/// engine model, it computes what ONNX Runtime computes on the same file.
/// </summary>
public sealed class ImportOperatorTests
{
    private static readonly int[] Image = [4, 9, 9];

    [Fact]
    public void ConvWithGroupsDilationStrideAndAsymmetricPads()
    {
        var g = new TestGraph(Image);
        g.Node("Conv", ["x", g.Weight("c.weight", [6, 2, 3, 3]), g.Weight("c.bias", [6])], I("group", 2), Is("dilations", 2, 1), Is("strides", 2, 1), Is("pads", 1, 0, 2, 1));
        Check(g, expectKinds: ["conv2d"]);
    }

    [Theory]
    [InlineData("SAME_UPPER")]
    [InlineData("SAME_LOWER")]
    [InlineData("VALID")]
    public void ConvAutoPad(string autoPad)
    {
        var g = new TestGraph(Image);
        g.Node("Conv", ["x", g.Weight("c.weight", [5, 4, 4, 4])], S("auto_pad", autoPad), Is("strides", 2, 2));
        Check(g, expectKinds: ["conv2d"]);
    }

    [Fact]
    public void ZeroPadFoldsIntoTheNextConv()
    {
        var g = new TestGraph(Image);
        g.Node("Pad", ["x", g.Ints("pads", 0, 0, 1, 2, 0, 0, 2, 0)]);
        g.Node("Conv", [g.Last, g.Weight("c.weight", [3, 4, 3, 3]), g.Weight("c.bias", [3])]);
        Check(g, expectKinds: ["conv2d"]);
    }

    [Fact]
    public void MaxPoolCeilModeAndAveragePoolCountingPadding()
    {
        var g = new TestGraph(Image);
        g.Node("MaxPool", null, Is("kernel_shape", 3, 3), Is("strides", 2, 2), I("ceil_mode", 1));
        g.Node("AveragePool", null, Is("kernel_shape", 3, 2), Is("pads", 1, 1, 1, 0), I("count_include_pad", 1));
        g.Node("AveragePool", null, Is("kernel_shape", 2, 2), Is("strides", 2, 2), Is("pads", 1, 0, 0, 1), I("ceil_mode", 1));
        Check(g, expectKinds: ["max_pool2d", "avg_pool2d", "avg_pool2d"]);
    }

    [Fact]
    public void GlobalPoolFlattenAndGemmWithoutTransposeAndScaled()
    {
        var g = new TestGraph(Image);
        g.Node("GlobalAveragePool");
        g.Node("Flatten");
        g.Node("Gemm", [g.Last, g.Weight("fc.weight", [4, 7]), g.Weight("fc.bias", [7])], F("alpha", 0.5f), F("beta", 2f));
        Check(g, expectKinds: ["avg_pool2d", "flatten", "dense"]);
    }

    [Fact]
    public void MatMulPlusBiasIsOneDenseLayer()
    {
        var g = new TestGraph(Image);
        g.Node("Reshape", ["x", g.Ints("shape", 0, -1)]);
        g.Node("MatMul", [g.Last, g.Weight("fc.weight", [4 * 9 * 9, 5])]);
        g.Node("Add", [g.Last, g.Weight("fc.bias", [5])]);
        g.Node("Relu");
        Check(g, expectKinds: ["flatten", "dense", "relu"]);
    }

    [Fact]
    public void ConstantArithmeticFoldsIntoConvAndBatchNorm()
    {
        var g = new TestGraph(Image);
        g.Node("Conv", ["x", g.Weight("c.weight", [3, 4, 1, 1])]);
        g.Node("Mul", [g.Last, g.Weight("scale", [1, 3, 1, 1], 0.5, 2)]);
        g.Node("Add", [g.Weight("shift", [3, 1, 1]), g.Last]);
        g.Node("BatchNormalization", [g.Last, g.Weight("bn.weight", [3], 0.5, 1.5), g.Weight("bn.bias", [3]), g.Weight("bn.running_mean", [3]), g.Weight("bn.running_var", [3], 0.5, 1.5)], F("epsilon", 1e-3f));
        g.Node("Div", [g.Last, g.Floats("two", [], [2f])]);
        g.Node("Sub", [g.Last, g.Floats("one", [1], [1f])]);
        Check(g, expectKinds: ["conv2d", "batch_norm"]);
    }

    [Fact]
    public void Activations()
    {
        var g = new TestGraph(Image);
        g.Node("LeakyRelu", null, F("alpha", 0.2f));
        g.Node("PRelu", [g.Last, g.Weight("p.weight", [4, 1, 1])]);
        g.Node("Elu", null, F("alpha", 0.7f));
        g.Node("Sigmoid");
        g.Node("Tanh");
        g.Node("PRelu", [g.Last, g.Weight("q.weight", [1])]);
        Check(g, expectKinds: ["leaky_relu", "prelu", "elu", "sigmoid", "tanh", "prelu"], scale: 4);
    }

    [Fact]
    public void LrnConcatAndAdd()
    {
        var g = new TestGraph(Image);
        string a = g.Node("Conv", ["x", g.Weight("a.weight", [3, 4, 1, 1])]);
        string b = g.Node("Conv", ["x", g.Weight("b.weight", [3, 4, 3, 3])], Is("pads", 1, 1, 1, 1));
        string sum = g.Node("Add", [a, b]);
        g.Node("Concat", [sum, "x", a], I("axis", 1));
        g.Node("LRN", null, I("size", 3), F("alpha", 0.01f), F("beta", 0.75f), F("bias", 1.5f));
        Check(g, expectKinds: ["conv2d", "conv2d", "add", "concat", "lrn"], scale: 3);
    }

    [Fact]
    public void ClipSoftmaxAndLogSoftmax()
    {
        var g = new TestGraph([12]);
        g.Node("Clip", ["x", g.Floats("lo", [], [-0.25f]), g.Floats("hi", [], [0.5f])]);
        g.Node("Clip", [g.Last, g.Floats("zero", [], [0f])]);
        string s = g.Node("Softmax");
        g.Node("LogSoftmax", [s]);
        Check(g, expectKinds: ["clip", "relu", "softmax", "log_softmax"], scale: 2);
    }

    [Fact]
    public void DropoutIdentityConstantShapeAndChannelPadding()
    {
        var g = new TestGraph(Image);
        g.Node("Pad", ["x", g.Ints("pads", 0, 1, 0, 0, 0, 2, 0, 0)]);
        g.Node("Dropout", [g.Last, g.Floats("ratio", [], [0.3f])]);
        g.Node("Identity");
        string shape = g.Node("Constant", [], Is("value_ints", 0, -1));
        g.Node("Reshape", [g.Graph.Node[^2].Output[0], shape]);
        Check(g, expectKinds: ["pad_channels", "dropout", "flatten"]);
    }

    [Fact]
    public void Opset9AttributeForms()
    {
        var g = new TestGraph(Image, opset: 9);
        g.Node("Pad", null, Is("pads", 0, 0, 1, 1, 0, 0, 1, 1));
        g.Node("Conv", [g.Last, g.Weight("c.weight", [2, 4, 3, 3])]);
        g.Node("Clip", null, F("min", 0f), F("max", 6f));
        g.Node("Dropout", null, F("ratio", 0.5f));
        g.Node("Flatten");
        g.Node("Softmax");
        Check(g, expectKinds: ["conv2d", "clip", "dropout", "flatten", "softmax"], scale: 8);
    }

    /// <summary>
    /// Imports the graph, checks the layer kinds, and compares the engine's outputs with ONNX Runtime's on
    /// random inputs (scaled by <paramref name="scale"/>; <paramref name="engineInput"/> turns ONNX's input
    /// into the engine's where the import changed the layout). With <paramref name="reexport"/> the
    /// imported model, exported again, must give ONNX Runtime the same outputs on the engine's input.
    /// </summary>
    internal static ModelPackage Check(TestGraph graph, string[] expectKinds, float scale = 1, Func<float[], int, float[]>? engineInput = null, bool reexport = false) =>
        Check(graph.Build(), graph.InputShape, expectKinds, scale, engineInput, reexport);

    /// <summary>As above for a model file whose graph input has per-sample shape <paramref name="inputShape"/>.</summary>
    internal static ModelPackage Check(byte[] model, int[] inputShape, string[] expectKinds, float scale = 1, Func<float[], int, float[]>? engineInput = null, bool reexport = false)
    {
        ModelPackage package = OnnxImporter.Import(model, "test.onnx", "test");
        Assert.Equal(expectKinds, package.Spec.Layers.Select(l => l.Kind));
        const int batch = 3;
        float[] input = OnnxTestEngine.RandomInput(batch * package.InputShape.ElementCount, 5).Select(v => v * scale).ToArray();
        (float[] expected, int[] shape) = OnnxTestEngine.RunOnnxRuntime(model, input, [batch, .. inputShape]);
        float[] x = engineInput?.Invoke(input, batch) ?? input;
        using IBackend backend = OnnxTestEngine.CreateBackend();
        using Network network = Network.Build(package.Spec, OnnxTestEngine.Catalog, backend, package.InputShape, seed: 1);
        RoundTripTests.LoadInto(network, package.State);
        Assert.Equal(shape.Skip(1).Aggregate(1, (a, b) => a * b), (int)network.OutputShape.ElementCount);
        OnnxTestEngine.AssertClose(expected, OnnxTestEngine.RunEngine(network, x, batch), "engine vs ONNX Runtime");
        if (reexport)
        {
            var state = new StateDictionary();
            ModelState.Save(network, state);
            byte[] again = OnnxExporter.ToBytes(new ModelPackage(package.Spec, package.InputShape, state));
            (float[] second, _) = OnnxTestEngine.RunOnnxRuntime(again, x, [batch, .. package.InputShape]);
            OnnxTestEngine.AssertClose(expected, second, "re-exported model in ONNX Runtime");
        }
        return package;
    }
}
