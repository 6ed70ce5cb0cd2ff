using Engine.Core;

namespace Engine.Models.Classic.Tests;

public sealed class ClassicModelTests
{
    [Fact]
    public void LeNet5HasThePublishedParameterCountAndHandComputedMacs()
    {
        ModelSummary summary = ModelTestEngine.Summarise(ModelTestEngine.Catalog.Model("lenet5").Spec, new Shape(1, 28, 28));

        Assert.Equal(61_706, summary.TotalParameters);
        // conv1: 6 filters × 28×28 positions × 5×5 taps; conv2: 16 × 10×10 × (6·5·5); dense: in × out.
        var macs = summary.Layers.Where(l => l.MultiplyAccumulates is > 0).ToDictionary(l => l.Name, l => l.MultiplyAccumulates!.Value);
        Assert.Equal(new Dictionary<string, long> { ["conv1"] = 117_600, ["conv2"] = 240_000, ["fc1"] = 48_000, ["fc2"] = 10_080, ["classifier"] = 840 }, macs);
        Assert.Equal(416_520, summary.TotalMultiplyAccumulates);
        var shapes = summary.Layers.ToDictionary(l => l.Name, l => l.OutputShape);
        Assert.Equal(new Shape(6, 28, 28), shapes["conv1"]);
        Assert.Equal(new Shape(6, 14, 14), shapes["pool1"]);
        Assert.Equal(new Shape(16, 10, 10), shapes["conv2"]);
        Assert.Equal(new Shape(16, 5, 5), shapes["pool2"]);
        Assert.Equal(new Shape(400), shapes["flatten"]);
        Assert.Equal(new Shape(10), shapes["classifier"]);
        // Per-layer parameters: 6·25+6, 16·150+16, 400·120+120, 120·84+84, 84·10+10.
        Assert.Equal([156L, 2_416, 48_120, 10_164, 850], summary.Layers.Where(l => l.Parameters > 0).Select(l => l.Parameters));
        // Activations: 2·4704 + 1176 + 2·1600 + 400 + 400 (flatten) + 2·120 + 2·84 + 10 values.
        Assert.Equal(15_002, summary.ActivationElements);
        Assert.Equal(60_008, summary.ActivationBytes);
    }

    [Fact]
    public void VggCifarStaysWithinItsCostBudget()
    {
        ModelSummary summary = ModelTestEngine.Summarise(ModelTestEngine.Catalog.Model("vgg-cifar").Spec, new Shape(3, 32, 32));

        // Convolution weights 3·32·9 + 32·32·9 + 32·64·9 + 64·64·9 + 64·128·9 + 128·128·9 = 286,560 (no biases);
        // batch norm γ and β 2·(32+32+64+64+128+128) = 896; classifier 2048·10 + 10 = 20,490.
        Assert.Equal(307_946, summary.TotalParameters);
        // 32×32 positions: 32·27 + 32·288 taps per position ⇒ 884,736 + 9,437,184; 16×16: 4,718,592 + 9,437,184;
        // 8×8: 4,718,592 + 9,437,184; classifier 20,480.
        Assert.Equal(38_653_952, summary.TotalMultiplyAccumulates);
        Assert.Equal(884_736, summary.Layers.Single(l => l.Name == "conv1a").MultiplyAccumulates);
        Assert.Equal(new Shape(128, 4, 4), summary.Layers.Single(l => l.Name == "pool3").OutputShape);
        Assert.Equal(new Shape(10), summary.Layers[^1].OutputShape);
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("vgg-cifar")]
    public void TheHeadIsNamedClassifier(string model)
    {
        LayerSpec head = ModelTestEngine.Catalog.Model(model).Spec.Layers[^1];
        Assert.Equal(("dense", ClassicModelsPlugin.HeadName), (head.Kind, head.Name));
        Assert.Equal(10, (int)head.Arguments!["units"]!);
    }

    [Fact]
    public void MlpKeepsItsDefaultLayerNamesAndParameterCount()
    {
        ModelSummary summary = ModelTestEngine.Summarise(MlpModel.Definition.Spec, new Shape(1, 28, 28));
        Assert.Equal(["flatten1", "dense1", "relu1", "dense2"], summary.Layers.Select(l => l.Name));
        Assert.Equal(203_530, summary.TotalParameters);
        Assert.Equal(784 * 256 + 256 * 10, summary.TotalMultiplyAccumulates);
    }

    [Fact]
    public void DescriptionsStateTheCounts()
    {
        Assert.Contains("61,706 parameters", LeNet5Model.Definition.Description);
        Assert.Contains("307,946 parameters", VggCifarModel.Definition.Description);
    }
}
