using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Layers.Standard;

namespace Engine.Models.Classic.Tests;

public sealed class ModelFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-model-file-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Every registered model, the classic architectures included.</summary>
    public static TheoryData<string> RegisteredModels => new(ModelTestEngine.Catalog.Models.Select(m => m.Name));

    [Theory]
    [MemberData(nameof(RegisteredModels))]
    public void SavedModelsLoadBackEqual(string name)
    {
        ModelSpec spec = ModelTestEngine.Catalog.Model(name).Spec;
        string path = Path.Combine(_folder, name + ".json");
        ModelFile.Save(spec, path);
        AssertSameSpec(spec, ModelFile.Load(path));
    }

    [Fact]
    public void AResNetFromItsFileHasTheSameParameters()
    {
        IModelDefinition resnet = ModelTestEngine.Catalog.Model("resnet20");
        string path = Path.Combine(_folder, "resnet20.json");
        ModelFile.Save(resnet.Spec, path);
        ModelSummary loaded = ModelTestEngine.Summarise(ModelFile.Load(path), resnet.DefaultInput!.Value);
        Assert.Equal(269_722, loaded.TotalParameters);
        Assert.Equal(40_551_040, loaded.TotalMultiplyAccumulates);
    }

    [Fact]
    public void GraphsWithInputsRoundTrip()
    {
        ModelSpec spec = new ModelBuilder("branchy")
            .Conv2d(4, 3, padding: ModelBuilder.Padding.Same, name: "stem")
            .Conv2d(4, 3, padding: ModelBuilder.Padding.Same, name: "c1")
            .Sum("skip", "c1", "stem")
            .Concat("cat", "skip", "input")
            .Add("leaky_relu", new JsonObject { ["slope"] = 0.1 })
            .Build();
        string path = Path.Combine(_folder, "branchy.json");
        ModelFile.Save(spec, path);
        AssertSameSpec(spec, ModelFile.Load(path));
    }

    [Fact]
    public void TheFileHasOneLayerPerLine()
    {
        string json = ModelFile.ToJson(new ModelBuilder("tiny").Flatten().Dense(10, name: "classifier").Build());
        Assert.Equal("""
            {
              "name": "tiny",
              "layers": [
                {"type":"flatten"},
                {"type":"dense","name":"classifier","units":10}
              ]
            }

            """.ReplaceLineEndings("\n"), json);
    }

    [Fact]
    public void AnArgumentNamedLikeAStructureKeyIsRefused()
    {
        var spec = new ModelSpec("bad", [new LayerSpec("dense", new JsonObject { ["units"] = 3, ["name"] = "x" })]);
        Assert.Equal("model 'bad' layer #1 (dense): an argument may not be called 'name'",
            Assert.Throws<ConfigurationException>(() => ModelFile.ToJson(spec)).Message);
    }

    private static void AssertSameSpec(ModelSpec expected, ModelSpec actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Layers.Count, actual.Layers.Count);
        for (int i = 0; i < expected.Layers.Count; i++)
        {
            LayerSpec e = expected.Layers[i], a = actual.Layers[i];
            Assert.Equal((e.Kind, e.Name), (a.Kind, a.Name));
            Assert.Equal(e.Inputs ?? [], a.Inputs ?? []);
            // Load gives every layer an argument object, empty when there are none.
            Assert.Equal((e.Arguments ?? []).ToJsonString(), (a.Arguments ?? []).ToJsonString());
        }
    }
}
