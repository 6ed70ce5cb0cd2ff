using Engine.Core;

namespace Engine.Interop.Onnx.Tests;

/// <summary>
/// Real exporter output: models exported once by PyTorch 1.13's ONNX exporter
/// (tools/onnx-fixtures/make_fixtures.py, committed with their inputs and PyTorch's logits) import and
/// give PyTorch's logits, and ONNX Runtime's on the same file.
/// </summary>
public sealed class PyTorchFixtureTests
{
    public static TheoryData<string, string[]> Fixtures => new()
    {
        { "lenet5", ["conv2d", "relu", "max_pool2d", "conv2d", "relu", "max_pool2d", "flatten", "dense", "relu", "dense", "relu", "dense"] },
        { "resnet", [] },
        { "inception", [] },
        { "activations", [] },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ImportsAndGivesPyTorchsLogits(string name, string[] kinds)
    {
        string folder = Path.Combine(RepoPaths.Root, "tests", "Engine.Interop.Onnx.Tests", "Fixtures");
        string model = Path.Combine(folder, name + ".onnx");
        float[] input = ReadFloats(Path.Combine(folder, name + ".input.bin"));
        float[] logits = ReadFloats(Path.Combine(folder, name + ".logits.bin"));

        ModelPackage package = OnnxImporter.Read(model);
        if (kinds.Length > 0)
        {
            Assert.Equal(kinds, package.Spec.Layers.Select(l => l.Kind));
        }
        Assert.StartsWith("pytorch", package.Metadata["onnx_producer"]!.GetValue<string>(), StringComparison.Ordinal);
        int batch = (int)(input.Length / package.InputShape.ElementCount);
        Assert.Equal(2, batch);
        using IBackend backend = OnnxTestEngine.CreateBackend();
        using Network network = Network.Build(package.Spec, OnnxTestEngine.Catalog, backend, package.InputShape, seed: 1);
        RoundTripTests.LoadInto(network, package.State);
        OnnxTestEngine.AssertClose(logits, OnnxTestEngine.RunEngine(network, input, batch), $"{name}: engine vs PyTorch");
        (float[] ort, _) = OnnxTestEngine.RunOnnxRuntime(File.ReadAllBytes(model), input, [batch, .. package.InputShape]);
        OnnxTestEngine.AssertClose(ort, OnnxTestEngine.RunEngine(network, input, batch), $"{name}: engine vs ONNX Runtime");
    }

    [Fact]
    public void ResNetKeepsPyTorchsModuleNamesAndBatchNormStatistics()
    {
        ModelPackage package = OnnxImporter.Read(Path.Combine(RepoPaths.Root, "tests", "Engine.Interop.Onnx.Tests", "Fixtures", "resnet.onnx"));
        string[] names = package.Spec.Layers.Select(l => l.Name!).ToArray();
        Assert.Contains("layer2.down.0", names);
        Assert.Contains("batch_norm", package.Spec.Layers.Select(l => l.Kind));
        Assert.Contains("add", package.Spec.Layers.Select(l => l.Kind));
        Assert.True(package.State.Contains("layers/layer1.bn1/running_var"));
    }

    private static float[] ReadFloats(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BitConverter.ToSingle(bytes, 4 * i);
        }
        return values;
    }
}
