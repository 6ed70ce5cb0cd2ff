using Engine.Core;
using Xunit.Abstractions;

namespace Engine.Models.Classic.Tests;

/// <summary>
/// The classic architectures at their standard configurations: parameter counts equal torchvision's
/// published ones (and, for the models torchvision lacks, counts derived in the comments), and
/// multiply-accumulate totals agree with the published per-image figures. Only shapes are needed,
/// but building a network allocates its parameters (VGG-19: 575 MB of float32 on the CPU).
/// </summary>
public sealed class ArchitectureTests(ITestOutputHelper output)
{
    public static TheoryData<string, long> PublishedParameterCounts => new()
    {
        { "alexnet", 61_100_840 },
        { "vgg11", 132_863_336 },
        { "vgg13", 133_047_848 },
        { "vgg16", 138_357_544 },
        { "vgg19", 143_667_240 },
        { "vgg11_bn", 132_868_840 },
        { "vgg13_bn", 133_053_736 },
        { "vgg16_bn", 138_365_992 },
        { "vgg19_bn", 143_678_248 },
        { "resnet18", 11_689_512 },
        { "resnet34", 21_797_672 },
        { "resnet50", 25_557_032 },
        { "resnet101", 44_549_160 },
        { "resnet152", 60_192_808 },
        // He et al.'s CIFAR family with option A (no shortcut parameters): 269,722 + 97,216 per extra
        // block in each stage (2·9·(16² + 32² + 64²) weights + 4·(16 + 32 + 64) batch-norm values).
        { "resnet20", 269_722 },
        { "resnet32", 464_154 },
        { "resnet44", 658_586 },
        { "resnet56", 853_018 },
        { "resnet110", 1_727_962 },
        // Option B adds two 1×1 projections with batch norm: 16·32 + 32·64 + 2·(32 + 64).
        { "resnet20-b", 272_474 },
        // LRN has no parameters: A-LRN counts as A.
        { "vgg11-lrn", 132_863_336 },
        // C is D with the third convolution of stages 3–5 a 1×1: 8·(256² + 2·512²) = 4,718,592 fewer.
        { "vgg16c", 133_638_952 },
        { "vgg16c_bn", 133_647_400 },
        // Caffe's bvlc_alexnet: 34,944 + 307,456 + 885,120 + 663,936 + 442,624 + 37,752,832 + 16,781,312 + 4,097,000.
        { "alexnet-2012", 60_965_224 },
        // 156 + 2,416 + 48,120 (C5: 120·400 + 120) + 10,164 + 850, as the 28×28 lenet5.
        { "lenet5-1998", 61_706 },
        // torchvision's GoogLeNet without its auxiliary classifiers (batch norm, 3×3 "5×5" branch).
        { "googlenet_bn", 6_624_904 },
        // The paper's: no batch norm, biases, a real 5×5 branch. Stem 9,472 + 4,160 + 110,784 = 124,416;
        // a module in·(1×1 + both reductions + pool projection) + r3·9·out3 + r5·25·out5 + one bias per
        // filter: 3a 163,696, 3b 388,736, 4a 376,176, 4b 449,160, 4c 510,104, 4d 605,376, 4e 868,352,
        // 5a 1,043,456, 5b 1,444,080 (5,849,136); classifier 1024·1000 + 1000.
        { "googlenet", 6_998_552 },
        // With the auxiliary classifiers (training only): per head in·128 + 128, 2048·1024 + 1024,
        // 1024·1000 + 1000; 4a gives in = 512 (3,188,840), 4d 528 (3,190,888). torchvision's with
        // aux (batch norm, no conv bias) is 13,004,888 the same way.
        { "googlenet-aux", 13_378_280 },
    };

    [Theory]
    [MemberData(nameof(PublishedParameterCounts))]
    public void ParameterCountsAreThePublishedOnes(string model, long parameters)
    {
        IModelDefinition definition = ModelTestEngine.Catalog.Model(model);
        ModelSummary summary = ModelTestEngine.Summarise(definition.Spec, definition.DefaultInput!.Value);
        output.WriteLine($"{model}: input {definition.DefaultInput}, {summary.TotalParameters:N0} parameters, {summary.TotalMultiplyAccumulates:N0} MACs");
        Assert.Equal(parameters, summary.TotalParameters);
        Assert.Equal(ClassicModelsPlugin.HeadName, summary.Layers[^1].Name);
    }

    [Fact]
    public void TheReadmeListsEveryModelWithItsParameterCount()
    {
        string readme = File.ReadAllText(Path.Combine(Engine.Tests.RepoPaths.Root, "README.md"));
        string section = readme[readme.IndexOf("\n## Models\n", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 5, StringComparison.Ordinal)];
        // | `name` | what | input | parameters | MACs |
        var rows = section.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(c => c[1].Trim('`'), c => long.Parse(c[4], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ModelTestEngine.Catalog.Models.Select(m => m.Name).Order(), rows.Keys.Order());
        foreach (var row in PublishedParameterCounts)
        {
            Assert.Equal((long)row[1], rows[(string)row[0]]);
        }
    }

    [Theory]
    [InlineData("resnet50", 4.1e9)]
    [InlineData("vgg16", 15.5e9)]
    [InlineData("googlenet_bn", 1.5e9)]
    public void MultiplyAccumulatesAgreeWithThePublishedFigures(string model, double published)
    {
        IModelDefinition definition = ModelTestEngine.Catalog.Model(model);
        ModelSummary summary = ModelTestEngine.Summarise(definition.Spec, definition.DefaultInput!.Value);
        output.WriteLine($"{model}: {summary.TotalMultiplyAccumulates:N0} MACs");
        Assert.InRange(summary.TotalMultiplyAccumulates, published * 0.98, published * 1.02);
    }

    [Fact]
    public void AlexNetMacsAreExact()
    {
        ModelSummary summary = ModelTestEngine.Summarise(ModelTestEngine.Catalog.Model("alexnet").Spec, new Shape(3, 224, 224));
        var macs = summary.Layers.Where(l => l.MultiplyAccumulates is > 0).ToDictionary(l => l.Name, l => l.MultiplyAccumulates!.Value);
        // filters × C × k² × output positions: 55², 27², then 13² for conv3–5; dense in × out.
        Assert.Equal(64L * 3 * 121 * 55 * 55, macs["conv1"]);
        Assert.Equal(192L * 64 * 25 * 27 * 27, macs["conv2"]);
        Assert.Equal(384L * 192 * 9 * 13 * 13, macs["conv3"]);
        Assert.Equal(9216L * 4096, macs["fc6"]);
        Assert.Equal(714_188_480, summary.TotalMultiplyAccumulates);
        var shapes = summary.Layers.ToDictionary(l => l.Name, l => l.OutputShape);
        Assert.Equal(new Shape(256, 6, 6), shapes["pool5"]);
        Assert.Equal(new Shape(256, 6, 6), shapes["avgpool"]);
    }

    [Fact]
    public void GoogLeNetMacsAndShapesAreExact()
    {
        // Spatial sizes 112 (conv1), 56 (conv2, conv3), 28 (3a, 3b), 14 (4a–4e), 7 (5a, 5b).
        (int In, int A, int R3, int O3, int R5, int O5, int P, int Hw)[] modules =
        [
            (192, 64, 96, 128, 16, 32, 32, 28), (256, 128, 128, 192, 32, 96, 64, 28),
            (480, 192, 96, 208, 16, 48, 64, 14), (512, 160, 112, 224, 24, 64, 64, 14), (512, 128, 128, 256, 24, 64, 64, 14),
            (512, 112, 144, 288, 32, 64, 64, 14), (528, 256, 160, 320, 32, 128, 128, 14),
            (832, 256, 160, 320, 32, 128, 128, 7), (832, 384, 192, 384, 48, 128, 128, 7),
        ];
        long Macs(int wide) => 64L * 3 * 49 * 112 * 112 + 64L * 64 * 56 * 56 + 192L * 64 * 9 * 56 * 56 + 1024L * 1000
            + modules.Sum(m => ((long)m.In * (m.A + m.R3 + m.R5 + m.P) + (long)m.R3 * 9 * m.O3 + (long)m.R5 * wide * wide * m.O5) * m.Hw * m.Hw);
        Assert.Equal(1_498_376_192, Macs(3));
        Assert.Equal(1_582_671_872, Macs(5));
        ModelSummary torchvision = ModelTestEngine.Summarise(ModelTestEngine.Catalog.Model("googlenet_bn").Spec, new Shape(3, 224, 224));
        ModelSummary paper = ModelTestEngine.Summarise(ModelTestEngine.Catalog.Model("googlenet").Spec, new Shape(3, 224, 224));
        Assert.Equal(Macs(3), torchvision.TotalMultiplyAccumulates);
        Assert.Equal(Macs(5), paper.TotalMultiplyAccumulates);
        var shapes = paper.Layers.ToDictionary(l => l.Name, l => l.OutputShape);
        Assert.Equal(new Shape(64, 56, 56), shapes["maxpool1"]);
        Assert.Equal(new Shape(192, 28, 28), shapes["maxpool2"]);
        Assert.Equal(new Shape(256, 28, 28), shapes["inception3a"]);
        Assert.Equal(new Shape(480, 14, 14), shapes["maxpool3"]);
        Assert.Equal(new Shape(528, 14, 14), shapes["inception4d"]);
        Assert.Equal(new Shape(832, 7, 7), shapes["maxpool4"]);
        Assert.Equal(new Shape(1024, 7, 7), shapes["inception5b"]);
        Assert.Equal(new Shape(32, 28, 28), shapes["inception3a_branch3_1_conv"]);
        Assert.Equal(16L * 25 * 32 + 32, paper.Layers.Single(l => l.Name == "inception3a_branch3_1_conv").Parameters);
        Assert.Equal(16L * 9 * 32, torchvision.Layers.Single(l => l.Name == "inception3a_branch3_1_conv").Parameters);
    }

    [Fact]
    public void GoogLeNetsAuxiliaryHeadsAreMarkedAndRoundTrip()
    {
        IModelDefinition aux = ModelTestEngine.Catalog.Model("googlenet-aux");
        Assert.Equal([new AuxiliaryOutput("aux1_fc2", 0.3), new AuxiliaryOutput("aux2_fc2", 0.3)], aux.Spec.AuxiliaryOutputs);
        ModelSummary summary = ModelTestEngine.Summarise(aux.Spec, new Shape(3, 224, 224));
        Assert.Equal([("aux1_fc2", 0.3), ("aux2_fc2", 0.3)], summary.AuxiliaryOutputs);
        Assert.Equal(3_188_840 + 3_190_888, summary.AuxiliaryParameters);
        Assert.Equal(6_998_552, summary.TotalParameters - summary.AuxiliaryParameters);
        var layers = summary.Layers.ToDictionary(l => l.Name);
        Assert.Equal(new Shape(512, 4, 4), layers["aux1_pool"].OutputShape);
        Assert.Equal(new Shape(528, 4, 4), layers["aux2_pool"].OutputShape);
        Assert.Equal(new Shape(1000), layers["aux2_fc2"].OutputShape);
        Assert.Equal(16, summary.Layers.Count(l => l.Auxiliary));
        Assert.False(layers["inception4a"].Auxiliary);
        Assert.Equal(["inception4a"], layers["inception4b_branch1_conv"].Inputs);
        // Every layer of the aux model but the heads is the plain model's, with the same MACs.
        ModelSummary plain = ModelTestEngine.Summarise(ModelTestEngine.Catalog.Model("googlenet").Spec, new Shape(3, 224, 224));
        Assert.Equal(plain.TotalMultiplyAccumulates, summary.Layers.Where(l => !l.Auxiliary).Sum(l => l.MultiplyAccumulates ?? 0));
        Assert.Equal(1_591_044_096, summary.TotalMultiplyAccumulates);
        ModelSpec loaded = ModelFile.FromJson(System.Text.Json.Nodes.JsonNode.Parse(ModelFile.ToJson(aux.Spec)), "googlenet-aux.json");
        Assert.Equal(aux.Spec.AuxiliaryOutputs, loaded.AuxiliaryOutputs);
        Assert.Equal(aux.Spec.Layers.Count, loaded.Layers.Count);
    }

    [Fact]
    public void TheNaiveInceptionModuleHasNoReductions()
    {
        IModelDefinition naive = GoogLeNetModel.Create(naive: true);
        Assert.Equal("googlenet-naive", naive.Name);
        ModelSummary summary = ModelTestEngine.Summarise(naive.Spec, naive.DefaultInput!.Value);
        var layers = summary.Layers.ToDictionary(l => l.Name);
        // 3a: 1×1 64, 3×3 128, 5×5 32 straight on the 192 input channels, plus the pooled 192 channels.
        Assert.Equal(new Shape(64 + 128 + 32 + 192, 28, 28), layers["inception3a"].OutputShape);
        long module3a = layers.Values.Where(l => l.Name.StartsWith("inception3a_", StringComparison.Ordinal)).Sum(l => l.Parameters);
        Assert.Equal(192L * 64 + 64 + 192L * 9 * 128 + 128 + 192L * 25 * 32 + 32, module3a);
        Assert.Equal(387_296, module3a);
        // Each module adds its input's channels: 3b sees 416 and gives 128 + 192 + 96 + 416.
        Assert.Equal(new Shape(832, 28, 28), layers["inception3b"].OutputShape);
        Assert.DoesNotContain(layers.Keys, n => n.Contains("branch2_0", StringComparison.Ordinal));
        Assert.Equal("googlenet-3x3", GoogLeNetModel.Create(wideKernel: 3).Name);
        Assert.Contains("got 7", Assert.Throws<ConfigurationException>(() => GoogLeNetModel.Create(wideKernel: 7)).Message);
    }

    [Fact]
    public void CifarResNet20MacsAndShapesAreExact()
    {
        ModelSummary summary = ModelTestEngine.Summarise(ModelTestEngine.Catalog.Model("resnet20").Spec, new Shape(3, 32, 32));
        // conv1 16·27·32²; stage 1: 6 × 16·144·32²; stage 2: 32·144·16² + 5 × 32·288·16²;
        // stage 3: 64·288·8² + 5 × 64·576·8²; classifier 64·10. Option-A shortcuts cost nothing.
        long expected = 16L * 27 * 1024 + 6L * 16 * 144 * 1024 + (32L * 144 * 256 + 5L * 32 * 288 * 256) + (64L * 288 * 64 + 5L * 64 * 576 * 64) + 640;
        Assert.Equal(40_551_040, expected);
        Assert.Equal(expected, summary.TotalMultiplyAccumulates);
        var shapes = summary.Layers.ToDictionary(l => l.Name, l => l.OutputShape);
        Assert.Equal(new Shape(16, 32, 32), shapes["layer1.2.relu"]);
        Assert.Equal(new Shape(16, 16, 16), shapes["layer2.0.shortcut_subsample"]);
        Assert.Equal(new Shape(32, 16, 16), shapes["layer2.0.shortcut_pad"]);
        Assert.Equal(new Shape(64, 8, 8), shapes["layer3.2.relu"]);
        Assert.Equal(new Shape(64), shapes["avgpool"]);
    }

    [Fact]
    public void ResNet152IsALoopOfBlocks()
    {
        ModelSpec spec = ModelTestEngine.Catalog.Model("resnet152").Spec;
        // 3 + 8 + 36 + 3 bottlenecks; 155 convolutions = stem + 3 per block + 4 projections; 1 classifier.
        Assert.Equal(50, spec.Layers.Count(l => l.Kind == "add"));
        Assert.Equal(1 + 3 * 50 + 4, spec.Layers.Count(l => l.Kind == "conv2d"));
        Assert.Equal(["layer3.35.conv1", "layer3.35.conv2", "layer3.35.conv3"],
            spec.Layers.Where(l => l.Name is not null && l.Name.StartsWith("layer3.35.conv", StringComparison.Ordinal)).Select(l => l.Name));
        // Each stage is one Repeat, so the layers with parameters carry torchvision's module names
        // (its state_dict keys without ".weight"), the head excepted.
        string[] torchvisionNames = ["conv1", "bn1", "layer1.0.downsample.0", "layer1.0.downsample.1", "layer2.7.bn3", "layer4.2.conv3"];
        Assert.All(torchvisionNames, name => Assert.Contains(spec.Layers, l => l.Name == name));
        // A stage's first block adds its projection, the others their block input (the previous block's output).
        Assert.Equal(["layer2.0.bn3", "layer2.0.downsample.1"], spec.Layers.Single(l => l.Name == "layer2.0.add").Inputs);
        Assert.Equal(["layer2.1.bn3", "layer2.0.relu"], spec.Layers.Single(l => l.Name == "layer2.1.add").Inputs);
        Assert.Equal(["layer1.2.relu"], spec.Layers.Single(l => l.Name == "layer2.0.downsample.0").Inputs);
    }

    [Fact]
    public void ModelsTakeTheirClassesAndInput()
    {
        IModelDefinition vgg = VggModel.Create('D', classes: 10, input: new Shape(3, 64, 64));
        Assert.Equal(new Shape(3, 64, 64), vgg.DefaultInput);
        ModelSummary small = ModelTestEngine.Summarise(vgg.Spec, vgg.DefaultInput!.Value);
        // 64×64 reaches the adaptive pool as 2×2, pooled up to 7×7: the classifier keeps its 25,088 inputs.
        Assert.Equal(new Shape(512, 2, 2), small.Layers.Single(l => l.Name == "pool5").OutputShape);
        Assert.Equal(138_357_544 - 4096L * 990 - 990, small.TotalParameters);
        Assert.Equal(new Shape(10), small.Layers[^1].OutputShape);
        Assert.Throws<ConfigurationException>(() => ResNetModel.Create(50, classes: 0));
        Assert.Contains("6n + 2", Assert.Throws<ConfigurationException>(() => CifarResNetModel.Create(21)).Message);
    }

    [Fact]
    public void AnInputTooSmallNamesTheLayer()
    {
        IModelDefinition alexnet = ModelTestEngine.Catalog.Model("alexnet");
        var e = Assert.ThrowsAny<EngineException>(() => ModelTestEngine.Summarise(alexnet.Spec, new Shape(3, 28, 28)));
        output.WriteLine(e.Message);
        Assert.Contains("pool2", e.Message); // 28 → conv1 6×6 → pool1 2×2 → conv2 2×2: a 3×3 window does not fit
        Assert.Contains("3", e.Message);
    }
}
