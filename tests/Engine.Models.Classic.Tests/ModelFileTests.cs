using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Layers.Standard;

namespace Engine.Models.Classic.Tests;

public sealed class ModelFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-model-file-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("mlp")]
    [InlineData("lenet5")]
    [InlineData("vgg-cifar")]
    public void SavedModelsLoadBackEqual(string name)
    {
        ModelSpec spec = ModelTestEngine.Catalog.Model(name).Spec;
        string path = Path.Combine(_folder, name + ".json");
        ModelFile.Save(spec, path);
        AssertSameSpec(spec, ModelFile.Load(path));
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
