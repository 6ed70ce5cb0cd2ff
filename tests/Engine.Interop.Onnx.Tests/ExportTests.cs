using Engine.Core;
using Onnx;

namespace Engine.Interop.Onnx.Tests;

/// <summary>
/// Every zoo model exported to ONNX gives in ONNX Runtime the outputs the engine computes, on random
/// inputs and with random batch-norm statistics (so that inference-mode normalisation is exercised).
/// </summary>
public sealed class ExportTests
{
    public static TheoryData<string, int> SmallModels => new()
    {
        { "lenet5", 3 }, { "mlp", 2 }, { "lenet5-1998", 2 }, { "vgg-cifar", 2 }, { "resnet20", 2 }, { "resnet20-b", 2 },
    };

    public static TheoryData<string, int> ImageNetModels => new()
    {
        { "googlenet", 2 }, { "googlenet_bn", 1 }, { "googlenet-aux", 1 }, { "resnet18", 1 }, { "alexnet-2012", 1 }, { "alexnet", 1 },
    };

    /// <summary>The rest of the zoo: large (up to 143M parameters), so in the "Slow" category, but run in the normal suite.</summary>
    public static TheoryData<string, int> LargeModels => new()
    {
        { "vgg11", 1 }, { "vgg11_bn", 1 }, { "vgg11-lrn", 1 }, { "vgg13", 1 }, { "vgg13_bn", 1 }, { "vgg16", 1 }, { "vgg16_bn", 1 },
        { "vgg16c", 1 }, { "vgg16c_bn", 1 }, { "vgg19", 1 }, { "vgg19_bn", 1 }, { "resnet34", 1 }, { "resnet50", 1 },
        { "resnet101", 1 }, { "resnet152", 1 }, { "resnet32", 1 }, { "resnet44", 1 }, { "resnet56", 1 }, { "resnet110", 1 },
    };

    [Fact]
    public void EveryZooModelIsExportTested()
    {
        var tested = SmallModels.Concat(ImageNetModels).Concat(LargeModels).Select(row => (string)row[0]);
        Assert.Equal(OnnxTestEngine.Catalog.Models.Select(m => m.Name).Order(), tested.Order());
    }

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(LargeModels))]
    public void LargeZooModelsMatchOnnxRuntime(string model, int batch) => ExportAndCompare(model, batch);

    [Theory]
    [MemberData(nameof(SmallModels))]
    public void SmallZooModelsMatchOnnxRuntime(string model, int batch) => ExportAndCompare(model, batch);

    [Theory]
    [MemberData(nameof(ImageNetModels))]
    public void ImageNetZooModelsMatchOnnxRuntime(string model, int batch) => ExportAndCompare(model, batch);

    [Fact]
    public void AuxiliaryHeadsAreNotExported()
    {
        // googlenet-aux is googlenet plus two training-only heads: its file holds googlenet's nodes and weights alone.
        var sample = new Shape(3, 224, 224);
        ModelProto Export(string model)
        {
            using IBackend backend = OnnxTestEngine.CreateBackend();
            using Network network = Network.Build(OnnxTestEngine.Catalog.Model(model).Spec, OnnxTestEngine.Catalog, backend, sample, seed: 1);
            var state = new StateDictionary();
            ModelState.Save(network, state);
            return OnnxExporter.Build(new ModelPackage(OnnxTestEngine.Catalog.Model(model).Spec, sample, state));
        }
        ModelProto aux = Export("googlenet-aux"), plain = Export("googlenet");
        Assert.Equal(plain.Graph.Node.Select(n => n.Name), aux.Graph.Node.Select(n => n.Name));
        Assert.Equal(plain.Graph.Initializer.Select(t => t.Name), aux.Graph.Initializer.Select(t => t.Name));
        // googlenet's parameters (its convolutions and dense layers have a weight and a bias each).
        Assert.Equal(6_998_552, aux.Graph.Initializer.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal) || t.Name.EndsWith(".bias", StringComparison.Ordinal)).Sum(t => t.Dims.Aggregate(1L, (p, d) => p * d)));
    }

    internal static void ExportAndCompare(string model, int batch, ulong seed = 7)
    {
        IModelDefinition definition = OnnxTestEngine.Catalog.Model(model);
        Shape sample = definition.DefaultInput ?? (model == "vgg-cifar" ? new Shape(3, 32, 32) : new Shape(1, 28, 28));
        using IBackend backend = OnnxTestEngine.CreateBackend();
        using Network network = Network.Build(definition.Spec, OnnxTestEngine.Catalog, backend, sample, seed);
        StateDictionary state = Randomise(network, seed);
        float[] input = OnnxTestEngine.RandomInput(batch * sample.ElementCount, seed + 1);
        float[] expected = OnnxTestEngine.RunEngine(network, input, batch);

        byte[] onnx = OnnxExporter.ToBytes(new ModelPackage(definition.Spec, sample, state));
        (float[] actual, int[] shape) = OnnxTestEngine.RunOnnxRuntime(onnx, input, [batch, .. sample]);

        Assert.Equal([batch, .. network.OutputShape], shape);
        OnnxTestEngine.AssertClose(expected, actual, $"{model} in ONNX Runtime");
    }

    /// <summary>Gives every batch norm non-trivial γ, β and running statistics, loads them and returns the whole state.</summary>
    internal static StateDictionary Randomise(Network network, ulong seed)
    {
        var state = new StateDictionary();
        ModelState.Save(network, state);
        ulong k = 0;
        foreach (string name in state.Names.ToArray())
        {
            if (state[name].Values is not float[] values)
            {
                continue;
            }
            Func<float> draw = name switch
            {
                _ when name.EndsWith("/running_mean", StringComparison.Ordinal) || name.EndsWith(".beta", StringComparison.Ordinal) => () => (float)(0.2 * CounterRandom.Normal(seed, k++)),
                _ when name.EndsWith("/running_var", StringComparison.Ordinal) || name.EndsWith(".gamma", StringComparison.Ordinal) => () => (float)(0.5 + CounterRandom.Uniform(seed, k++)),
                _ => null!,
            };
            if (draw is not null)
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = draw();
                }
            }
        }
        ModelState.Load(network, state, "test");
        return state;
    }
}
