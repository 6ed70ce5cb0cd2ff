using Engine.Core;

namespace Engine.Interop.Onnx.Tests;

/// <summary>
/// Export → ONNX Runtime → import → engine: the zoo models come back as engine models (same
/// parameters, same names) that compute what ONNX Runtime computes on the exported file, and export
/// again to a file ONNX Runtime runs the same.
/// </summary>
public sealed class RoundTripTests
{
    public static TheoryData<string, int> Models => new()
    {
        { "lenet5", 2 }, { "vgg-cifar", 2 }, { "resnet20", 2 }, { "googlenet", 1 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void ExportedZooModelImportsAndMatchesOnnxRuntime(string model, int batch)
    {
        const ulong seed = 11;
        IModelDefinition definition = OnnxTestEngine.Catalog.Model(model);
        Shape sample = definition.DefaultInput ?? (model == "vgg-cifar" ? new Shape(3, 32, 32) : new Shape(1, 28, 28));
        using IBackend backend = OnnxTestEngine.CreateBackend();
        using Network original = Network.Build(definition.Spec, OnnxTestEngine.Catalog, backend, sample, seed);
        StateDictionary state = ExportTests.Randomise(original, seed);
        byte[] onnx = OnnxExporter.ToBytes(new ModelPackage(definition.Spec, sample, state));
        float[] input = OnnxTestEngine.RandomInput(batch * sample.ElementCount, seed + 1);
        (float[] oracle, _) = OnnxTestEngine.RunOnnxRuntime(onnx, input, [batch, .. sample]);

        ModelPackage imported = OnnxImporter.Import(onnx, $"{model}.onnx", model);
        Assert.Equal(sample, imported.InputShape);
        using Network network = Network.Build(imported.Spec, OnnxTestEngine.Catalog, backend, imported.InputShape, seed: 99);
        LoadInto(network, imported.State);
        Assert.Equal(original.ParameterCount, network.ParameterCount);
        OnnxTestEngine.AssertClose(oracle, OnnxTestEngine.RunEngine(network, input, batch), $"imported {model}");

        // And out again: the imported model exports to a file that ONNX Runtime runs the same.
        var again = new StateDictionary();
        ModelState.Save(network, again);
        (float[] second, _) = OnnxTestEngine.RunOnnxRuntime(OnnxExporter.ToBytes(new ModelPackage(imported.Spec, sample, again)), input, [batch, .. sample]);
        OnnxTestEngine.AssertClose(oracle, second, $"re-exported {model}");
    }

    /// <summary>Loads an imported state over the network's own (which supplies what ONNX does not carry: dropout seeds).</summary>
    internal static void LoadInto(Network network, StateDictionary imported)
    {
        var state = new StateDictionary();
        ModelState.Save(network, state);
        foreach (string name in imported.Names)
        {
            Assert.True(state.Contains(name), $"imported entry '{name}' is not in the model");
            state.Set(name, imported[name]);
        }
        ModelState.Load(network, state, "imported");
    }
}
