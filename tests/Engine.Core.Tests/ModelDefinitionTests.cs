using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

public sealed class ModelDefinitionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-models-").FullName;

    private string Write(string json)
    {
        string path = Path.Combine(_folder, "model.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void ModelFileReadsLayersAndArguments()
    {
        ModelSpec spec = ModelFile.Load(Write("""
            { "name": "m", // comments are allowed
              "layers": [ {"type": "flatten"}, {"type": "dense", "units": 12, "name": "hidden"} ] }
            """));
        Assert.Equal("m", spec.Name);
        Assert.Equal(["flatten", "dense"], spec.Layers.Select(l => l.Kind));
        Assert.Equal("hidden", spec.Layers[1].Name);
        Assert.Equal(12, spec.Layers[1].Arguments!["units"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("{\"layers\": [\n {\"type\": \"dense\",, }\n]}", "invalid JSON at line 2")]
    [InlineData("{\"name\": \"x\"}", "\"layers\" must be a non-empty array")]
    [InlineData("{\"layers\": [{\"units\": 3}]}", "layer #1 must be an object with a string \"type\"")]
    [InlineData("[1, 2]", "the top level must be a JSON object")]
    public void BadModelFilesNameTheFileAndTheProblem(string json, string expected)
    {
        string path = Write(json);
        var e = Assert.Throws<DataFormatException>(() => ModelFile.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void BuildErrorsNameTheLayer()
    {
        using IBackend backend = TestEngine.CreateBackend();
        var typo = new ModelSpec("m", [new LayerSpec("flatten"), new LayerSpec("dense", new JsonObject { ["unit"] = 3, ["units"] = 3 })]);
        var e = Assert.Throws<ConfigurationException>(() => Network.Build(typo, TestEngine.Catalog, backend, new Shape(1, 2, 2), 1));
        Assert.Contains("layer #2 'dense1' (dense): unknown argument(s) 'unit'", e.Message);

        var unknown = new ModelSpec("m", [new LayerSpec("convolution9d")]);
        var u = Assert.Throws<ConfigurationException>(() => Network.Build(unknown, TestEngine.Catalog, backend, new Shape(4), 1));
        // The list grows with every registered kind, so only its start and two members are pinned.
        Assert.Contains("unknown layer kind 'convolution9d'; known: adaptive_avg_pool2d, add, ", u.Message);
        Assert.Contains("dense, ", u.Message);
    }

    [Fact]
    public void ModelFileReadsGraphInputs()
    {
        ModelSpec spec = ModelFile.Load(Write("""
            { "layers": [ {"type": "flatten", "name": "f"}, {"type": "dense", "units": 2, "name": "d"},
                          {"type": "add", "inputs": ["d", "d"]}, {"type": "dense", "units": 2, "inputs": "f"} ] }
            """));
        Assert.Null(spec.Layers[1].Inputs);
        Assert.Equal(["d", "d"], spec.Layers[2].Inputs);
        Assert.Equal(["f"], spec.Layers[3].Inputs);
        Assert.False(spec.Layers[2].Arguments!.ContainsKey("inputs"));
    }

    [Fact]
    public void GraphErrorsNameTheLayerAndTheInputs()
    {
        using IBackend backend = TestEngine.CreateBackend();
        var later = new ModelSpec("m", [new LayerSpec("flatten", Name: "f"), new LayerSpec("dense", new JsonObject { ["units"] = 2 }, "d", ["g"]), new LayerSpec("flatten", Name: "g")]);
        var e = Assert.Throws<ConfigurationException>(() => Network.Build(later, TestEngine.Catalog, backend, new Shape(4), 1));
        Assert.Contains("layer #2 'd' (dense): input 'g' is not an earlier layer; earlier layers: input, f", e.Message);

        var twoIntoDense = new ModelSpec("m", [new LayerSpec("flatten", Name: "f"), new LayerSpec("dense", new JsonObject { ["units"] = 2 }, "d", ["f", "input"])]);
        var t = Assert.Throws<ConfigurationException>(() => Network.Build(twoIntoDense, TestEngine.Catalog, backend, new Shape(4), 1));
        Assert.Contains("takes one input but 2 are named (f, input)", t.Message);

        var mismatch = new ModelSpec("m", [new LayerSpec("dense", new JsonObject { ["units"] = 2 }, "d"), new LayerSpec("add", Name: "sum", Inputs: ["d", "input"])]);
        var m = Assert.Throws<ShapeException>(() => Network.Build(mismatch, TestEngine.Catalog, backend, new Shape(4), 1));
        Assert.Contains("layer 'sum' (add): input 2 has shape [4] but input 1 has [2]", m.Message);
    }

    [Fact]
    public void ForwardRefusesInputOfTheWrongShape()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = Network.Build(TestEngine.Catalog.Model("mlp").Spec, TestEngine.Catalog, backend, new Shape(1, 28, 28), 1);
        using Tensor wrong = backend.Allocate(new Shape(2, 1, 28, 27));
        var e = Assert.Throws<ShapeException>(() => net.Forward(wrong, training: false));
        Assert.Contains("expects input of shape N×[1, 28, 28], got [2, 1, 28, 27]", e.Message);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
