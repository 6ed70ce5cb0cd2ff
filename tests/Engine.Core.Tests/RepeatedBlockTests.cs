using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Engine.Tests;

namespace Engine.Core.Tests;

/// <summary>Repeated blocks in JSON model files and <see cref="ModelBuilder.Repeat"/>.</summary>
public sealed partial class RepeatedBlockTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-repeat-").FullName;

    private string Write(string json, string file = "model.json")
    {
        string path = Path.Combine(_folder, file);
        File.WriteAllText(path, json);
        return path;
    }

    // The README's example, read from README.md so the documented text is what runs.
    private static string ReadmeExample()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        return JsonBlock().Matches(readme).Select(m => m.Groups[1].Value).Single(b => b.Contains("\"repeat\"", StringComparison.Ordinal));
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    // The README example written out by hand: 3 repetitions of conv1, relu, conv2, add, out.
    private static string WrittenOut()
    {
        var layers = new List<string> { """{"type": "conv2d", "name": "stem", "filters": 16, "kernel": 3, "padding": "same"}""" };
        for (int i = 0; i < 3; i++)
        {
            string input = i == 0 ? "stem" : $"layer1.{i - 1}.out";
            layers.Add($$"""{"type": "conv2d", "name": "layer1.{{i}}.conv1", "filters": 16, "kernel": 3, "padding": "same"}""");
            layers.Add($$"""{"type": "relu", "name": "layer1.{{i}}.relu2"}""");
            layers.Add($$"""{"type": "conv2d", "name": "layer1.{{i}}.conv2", "filters": 16, "kernel": 3, "padding": "same"}""");
            layers.Add($$"""{"type": "add", "name": "layer1.{{i}}.add", "inputs": ["layer1.{{i}}.conv2", "{{input}}"]}""");
            layers.Add($$"""{"type": "relu", "name": "layer1.{{i}}.out"}""");
        }
        layers.Add("""{"type": "global_avg_pool"}""");
        layers.Add("""{"type": "dense", "units": 10}""");
        return $$"""{ "name": "tiny-resnet", "layers": [ {{string.Join(",\n", layers)}} ] }""";
    }

    private static (string[] Names, Shape[] Shapes, long Parameters) Graph(ModelSpec spec)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = Network.Build(spec, TestEngine.Catalog, backend, new Shape(1, 28, 28), 1);
        return (net.Layers.Select(l => l.Name).ToArray(), net.OutputShapes.ToArray(), net.ParameterCount);
    }

    [Fact]
    public void ReadmeRepeatExpandsToTheWrittenOutGraph()
    {
        ModelSpec repeated = ModelFile.Load(Write(ReadmeExample()));
        ModelSpec written = ModelFile.Load(Write(WrittenOut(), "written.json"));

        Assert.Equal(18, repeated.Layers.Count);
        Assert.Equal(["layer1.1.conv2", "layer1.0.out"], repeated.Layers[9].Inputs);
        Assert.Equal(["layer1.0.conv2", "stem"], repeated.Layers[4].Inputs);
        var (names, shapes, parameters) = Graph(repeated);
        var expected = Graph(written);
        Assert.Equal(expected.Names, names);
        Assert.Equal(expected.Shapes, shapes);
        // stem 1→16 3×3: 160; per repetition two 16→16 3×3 convolutions: 2 × 2,320; dense 16→10: 170.
        Assert.Equal(160 + 3 * 4640 + 170, parameters);
        Assert.Equal(expected.Parameters, parameters);
        Assert.Equal("layer1.2.out", names[15]);
        Assert.Equal(new Shape(16, 28, 28), shapes[15]);
    }

    [Fact]
    public void AnExpandedModelRoundTripsThroughSave()
    {
        ModelSpec repeated = ModelFile.Load(Write(ReadmeExample()));
        string saved = Path.Combine(_folder, "saved.json");
        ModelFile.Save(repeated, saved);
        ModelSpec loaded = ModelFile.Load(saved);

        Assert.DoesNotContain("\"repeat\"", File.ReadAllText(saved), StringComparison.Ordinal);
        Assert.Equal(repeated.Layers.Select(l => (l.Kind, l.Name, string.Join(",", l.Inputs ?? []))), loaded.Layers.Select(l => (l.Kind, l.Name, string.Join(",", l.Inputs ?? []))));
        var (a, b) = (Graph(repeated), Graph(loaded));
        Assert.Equal(a.Names, b.Names);
        Assert.Equal(a.Shapes, b.Shapes);
        Assert.Equal(14250, b.Parameters);
    }

    [Fact]
    public void StartNestingAndOuterReferencesExpand()
    {
        ModelSpec spec = ModelFile.Load(Write("""
            { "layers": [ {"type": "flatten", "name": "f"},
              {"repeat": 2, "name": "stage", "start": 1, "layers": [
                {"type": "dense", "units": 4, "name": "d"},
                {"repeat": 2, "name": "inner", "layers": [ {"type": "add", "name": "a", "inputs": ["block_input", "d"]} ]},
                {"type": "dense", "units": 4, "name": "e", "inputs": "f"} ]} ] }
            """));
        Assert.Equal(["f", "stage.1.d", "stage.1.inner.0.a", "stage.1.inner.1.a", "stage.1.e", "stage.2.d", "stage.2.inner.0.a", "stage.2.inner.1.a", "stage.2.e"], spec.Layers.Select(l => l.Name));
        Assert.Equal(["stage.1.d", "stage.1.d"], spec.Layers[2].Inputs);
        Assert.Equal(["stage.1.inner.0.a", "stage.1.d"], spec.Layers[3].Inputs);
        Assert.Equal(["f"], spec.Layers[4].Inputs);
        Assert.Equal(["stage.2.inner.0.a", "stage.2.d"], spec.Layers[7].Inputs);
    }

    [Fact]
    public void BuilderRepeatMatchesTheFileAndPassesTheIndex()
    {
        ModelSpec built = new ModelBuilder("tiny-resnet")
            .Add("conv2d", new JsonObject { ["filters"] = 16, ["kernel"] = 3, ["padding"] = "same" }, "stem")
            .Repeat("layer1", 3, (b, i) => b
                .Add("conv2d", new JsonObject { ["filters"] = 16, ["kernel"] = 3, ["padding"] = "same" }, "conv1").Add("relu")
                .Add("conv2d", new JsonObject { ["filters"] = 16, ["kernel"] = 3, ["padding"] = "same" }, "conv2")
                .Add("add", null, "add", "conv2", ModelBuilder.BlockInput).Add("relu", null, "out"))
            .Add("global_avg_pool").Add("dense", new JsonObject { ["units"] = 10 }).Build();
        ModelSpec file = ModelFile.Load(Write(ReadmeExample()));
        Assert.Equal(file.Layers.Select(l => (l.Name, string.Join(",", l.Inputs ?? []))), built.Layers.Select(l => (l.Name, string.Join(",", l.Inputs ?? []))));

        var indices = new List<int>();
        ModelSpec strided = new ModelBuilder("s").Repeat("b", 2, (b, i) => { indices.Add(i); b.Add("dense", new JsonObject { ["units"] = i + 1 }); }, start: 3).Build();
        Assert.Equal([3, 4], indices);
        Assert.Equal(["b.3.dense1", "b.4.dense1"], strided.Layers.Select(l => l.Name));
        Assert.Equal(5, strided.Layers[1].Arguments!["units"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"repeat": 0, "name": "layer1", "layers": [{"type": "relu"}]}""", "layer #2: repeat 'layer1': \"repeat\" must be an integer ≥ 1, got 0")]
    [InlineData("""{"repeat": 2.5, "name": "layer1", "layers": [{"type": "relu"}]}""", "layer #2: repeat 'layer1': \"repeat\" must be an integer ≥ 1, got 2.5")]
    [InlineData("""{"repeat": 2, "layers": [{"type": "relu"}]}""", "layer #2: a \"repeat\" block needs a string \"name\"")]
    [InlineData("""{"repeat": 2, "name": "layer1", "layers": []}""", "layer #2: repeat 'layer1': \"layers\" must be a non-empty array")]
    [InlineData("""{"repeat": 2, "name": "layer1", "times": 3, "layers": [{"type": "relu"}]}""", "repeat 'layer1': unknown key 'times'")]
    [InlineData("""{"repeat": 2, "name": "layer1", "layers": [{"units": 3}]}""", "repeat 'layer1' repetition 0 layer #1 must be an object with a string \"type\"")]
    [InlineData("""{"repeat": 2, "name": "layer1", "layers": [{"type": "add", "name": "add", "inputs": ["conv9", "block_input"]}]}""", "repeat 'layer1' repetition 0 layer 'layer1.0.add': input 'conv9' is not a layer of the block, 'block_input', or a named layer before it")]
    [InlineData("""{"repeat": 2, "name": "layer1", "layers": [{"type": "relu", "name": "block_input"}]}""", "repeat 'layer1' repetition 0: 'block_input' is reserved")]
    [InlineData("""{"repeat": 2, "name": "stem", "layers": [{"type": "relu", "name": "x"}]}, {"repeat": 1, "name": "stem", "layers": [{"type": "relu", "name": "x"}]}""", "the name 'stem.0.x' is already used")]
    public void BadRepeatsNameTheBlockAndTheValue(string block, string expected)
    {
        string path = Write($$"""{"layers": [{"type": "flatten", "name": "stem"}, {{block}}]}""");
        var e = Assert.Throws<DataFormatException>(() => ModelFile.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void BlockInputAfterAnUnnamedLayerIsRefused()
    {
        string path = Write("""{"layers": [{"type": "flatten"}, {"repeat": 2, "name": "b", "layers": [{"type": "add", "inputs": ["block_input", "block_input"]}]}]}""");
        var e = Assert.Throws<DataFormatException>(() => ModelFile.Load(path));
        Assert.Contains("repeat 'b' repetition 0 layer 'b.0.add1': 'block_input' needs the layer before the block to be named", e.Message);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
