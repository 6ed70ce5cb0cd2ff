using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// VGG (Simonyan and Zisserman, 2014), torchvision's layout: five stages of 3×3 convolutions (pad 1,
/// with bias, ReLU; with batch norm before the ReLU in the <c>_bn</c> variants) of 64, 128, 256, 512,
/// 512 filters, each stage ending in a 2×2 max pool; adaptive average pool to 7×7; dense 4096, ReLU,
/// dropout, dense 4096, ReLU, dropout, dense classes. Configurations: A (<c>vgg11</c>, one or two
/// convolutions per stage), A-LRN (<c>vgg11-lrn</c>, A with LRN after the first convolution), B
/// (<c>vgg13</c>, two per stage), C (<c>vgg16c</c>, D with the third convolution of stages 3–5 a 1×1),
/// D (<c>vgg16</c>, three in stages 3–5) and E (<c>vgg19</c>, four).
/// </summary>
public static class VggModel
{
    /// <summary>One convolution of a configuration: its filters and kernel (3, or 1 in configuration C).</summary>
    private readonly record struct Conv(int Filters, int Kernel = 3);

    /// <summary>The configurations by name: convolutions per stage.</summary>
    private static readonly Dictionary<char, Conv[][]> Configurations = new()
    {
        ['A'] = [[new(64)], [new(128)], [new(256), new(256)], [new(512), new(512)], [new(512), new(512)]],
        ['B'] = [[new(64), new(64)], [new(128), new(128)], [new(256), new(256)], [new(512), new(512)], [new(512), new(512)]],
        ['C'] = [[new(64), new(64)], [new(128), new(128)], [new(256), new(256), new(256, 1)], [new(512), new(512), new(512, 1)], [new(512), new(512), new(512, 1)]],
        ['D'] = [[new(64), new(64)], [new(128), new(128)], [new(256), new(256), new(256)], [new(512), new(512), new(512)], [new(512), new(512), new(512)]],
        ['E'] = [[new(64), new(64)], [new(128), new(128)], [new(256), new(256), new(256), new(256)], [new(512), new(512), new(512), new(512)], [new(512), new(512), new(512), new(512)]],
    };

    /// <summary>The registered names with their configuration, batch norm and LRN.</summary>
    public static IEnumerable<IModelDefinition> All() =>
    [
        Create('A'), Create('A', batchNorm: true), Create('A', lrn: true),
        Create('B'), Create('B', batchNorm: true),
        Create('C'), Create('C', batchNorm: true),
        Create('D'), Create('D', batchNorm: true),
        Create('E'), Create('E', batchNorm: true),
    ];

    /// <summary>
    /// VGG configuration <paramref name="configuration"/> (A, B, C, D or E) for <paramref name="classes"/>
    /// classes and a 3×H×W input (default 3×224×224; at least 32×32).
    /// </summary>
    public static IModelDefinition Create(char configuration, bool batchNorm = false, bool lrn = false, int classes = 1000, Shape? input = null)
    {
        if (!Configurations.TryGetValue(configuration, out Conv[][]? stages))
        {
            throw new ConfigurationException($"VGG configuration '{configuration}' does not exist; use A, B, C, D or E");
        }
        if (lrn && (configuration != 'A' || batchNorm))
        {
            throw new ConfigurationException($"VGG configuration '{configuration}': LRN belongs to configuration A-LRN only, without batch norm");
        }
        int depth = stages.Sum(s => s.Length) + 3;
        string name = $"vgg{depth}{(configuration == 'C' ? "c" : "")}{(lrn ? "-lrn" : "")}{(batchNorm ? "_bn" : "")}";
        Blocks.Classes(name, classes);
        var model = new ModelBuilder(name);
        for (int stage = 1; stage <= stages.Length; stage++)
        {
            for (int i = 1; i <= stages[stage - 1].Length; i++)
            {
                Conv conv = stages[stage - 1][i - 1];
                string id = $"{stage}_{i}";
                model.Conv2d(conv.Filters, conv.Kernel, padding: conv.Kernel / 2, name: $"conv{id}");
                if (batchNorm)
                {
                    model.BatchNorm(name: $"bn{id}");
                }
                model.Relu($"relu{id}");
                if (lrn && stage == 1 && i == 1)
                {
                    model.Lrn(name: "norm1");
                }
            }
            model.MaxPool2d(2, name: $"pool{stage}");
        }
        model.AdaptiveAvgPool2d(7, name: "avgpool").Flatten("flatten")
            .Dense(4096, name: "fc6").Relu("relu6").Dropout(0.5, "drop6")
            .Dense(4096, name: "fc7").Relu("relu7").Dropout(0.5, "drop7")
            .Dense(classes, name: ClassicModelsPlugin.HeadName);
        string convs = string.Join(", ", stages.Select(s => string.Join('+', s.Select(c => c.Kernel == 1 ? $"{c.Filters}(1×1)" : $"{c.Filters}"))));
        return new ModelDefinition(
            $"VGG configuration {configuration}{(lrn ? "-LRN" : "")}{(batchNorm ? " with batch norm" : "")} for 3×224×224: 3×3 convolutions {convs} with a max-pool after each stage, adaptive avg-pool 7×7, dense 4096, 4096, {classes}; head 'classifier'",
            model.Build())
        { DefaultInput = Blocks.Input(name, input ?? Blocks.ImageNetInput, 3) };
    }
}
