using System.Text.Json.Nodes;
using Engine.Layers.Standard;

namespace Engine.Models.Classic.Tests;

public sealed class ModelBuilderTests
{
    [Fact]
    public void TypedHelpersWriteOnlyNonDefaultArguments()
    {
        ModelSpec spec = new ModelBuilder("m")
            .Conv2d(8, 3, padding: ModelBuilder.Padding.Same, name: "c1")
            .Conv2d(16, 5, stride: 2, padding: 1, groups: 2, bias: false)
            .BatchNorm(momentum: 0.01).Relu().MaxPool2d(2).AvgPool2d(3, stride: 2)
            .Dropout(0.25).Flatten().Dense(10, name: "classifier")
            .Build();

        string[] expected =
        [
            """conv2d c1 {"filters":8,"kernel":3,"padding":"same"}""",
            """conv2d - {"filters":16,"kernel":5,"stride":2,"padding":1,"groups":2,"bias":false}""",
            """batch_norm - {"momentum":0.01}""",
            "relu - null",
            """max_pool2d - {"pool":2}""",
            """avg_pool2d - {"pool":3,"stride":2}""",
            """dropout - {"rate":0.25}""",
            "flatten - null",
            """dense classifier {"units":10}""",
        ];
        Assert.Equal(expected, spec.Layers.Select(l => $"{l.Kind} {l.Name ?? "-"} {l.Arguments?.ToJsonString() ?? "null"}"));
        Assert.All(spec.Layers, l => Assert.Null(l.Inputs));
    }

    [Fact]
    public void BranchesNameTheirInputs()
    {
        ModelSpec spec = new ModelBuilder("res")
            .Conv2d(4, 3, padding: 1, name: "stem")
            .Conv2d(4, 3, padding: 1, name: "c1")
            .Conv2d(4, 1, name: "side", inputs: "stem")
            .Sum("skip", "c1", "side")
            .Concat("both", "skip", LayerSpec.ModelInput)
            .Build();

        Assert.Equal(["side", "skip", "both"], spec.Layers.Where(l => l.Inputs is not null).Select(l => l.Name));
        Assert.Equal(["stem"], spec.Layers[2].Inputs);
        Assert.Equal("add", spec.Layers[3].Kind);
        Assert.Equal(["c1", "side"], spec.Layers[3].Inputs);
        Assert.Equal(["skip", "input"], spec.Layers[4].Inputs);
    }

    [Fact]
    public void GenericAddCopiesItsArguments()
    {
        var args = new JsonObject { ["slope"] = 0.2 };
        var builder = new ModelBuilder("m").Add("leaky_relu", args, "act");
        args["slope"] = 0.5;
        Assert.Equal(0.2, (double)builder.Build().Layers[0].Arguments!["slope"]!);
    }

    [Fact]
    public void MistakesAreNamed()
    {
        var builder = new ModelBuilder("m").Relu("a");
        Assert.Equal("model 'm' layer #2 (relu): the name 'a' is already used (or is reserved for the model input)",
            Assert.Throws<ConfigurationException>(() => builder.Relu("a")).Message);
        Assert.Contains("needs at least two inputs, got 1", Assert.Throws<ConfigurationException>(() => builder.Sum("s", "a")).Message);
        Assert.Equal("model 'empty' has no layers", Assert.Throws<ConfigurationException>(() => new ModelBuilder("empty").Build()).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Conv2d(4, 3, padding: -1));
    }

    [Fact]
    public void BuiltSpecsDoNotChangeWhenTheBuilderGoesOn()
    {
        var builder = new ModelBuilder("m").Relu();
        ModelSpec first = builder.Build();
        builder.Flatten();
        Assert.Single(first.Layers);
        Assert.Equal(2, builder.Build().Layers.Count);
    }
}
