using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// ResNet for ImageNet (He et al., 2015), torchvision's layout (v1.5: a bottleneck's stride is on
/// its 3×3 convolution). Stem: conv 64@7×7/2 pad 3, batch norm, ReLU, max-pool 3/2 pad 1. Four
/// stages of 64, 128, 256, 512 channels (×4 at a bottleneck's output), the first block of stages 2–4
/// with stride 2. Basic block (ResNet-18, 34): 3×3, BN, ReLU, 3×3, BN. Bottleneck (50, 101, 152):
/// 1×1, BN, ReLU, 3×3, BN, ReLU, 1×1 (×4), BN. Where the shape changes the shortcut is a 1×1
/// projection with batch norm (option B), else the identity; the sum is followed by ReLU. Then global
/// average pooling and dense classes. Convolutions have no bias (batch norm follows each). A stage is one
/// <see cref="ModelBuilder.Repeat"/>, so layers with parameters are named as torchvision's modules
/// (<c>layer3.5.conv2</c>, <c>layer3.0.downsample.1</c>), the head excepted (<c>classifier</c>, not <c>fc</c>).
/// </summary>
public static class ResNetModel
{
    /// <summary>Blocks per stage for each registered depth.</summary>
    private static readonly Dictionary<int, (bool Bottleneck, int[] Blocks)> Depths = new()
    {
        [18] = (false, [2, 2, 2, 2]),
        [34] = (false, [3, 4, 6, 3]),
        [50] = (true, [3, 4, 6, 3]),
        [101] = (true, [3, 4, 23, 3]),
        [152] = (true, [3, 8, 36, 3]),
    };

    /// <summary>The registered depths.</summary>
    public static IEnumerable<int> Registered => Depths.Keys;

    /// <summary>ResNet-<paramref name="depth"/> (18, 34, 50, 101, 152) for <paramref name="classes"/> classes and a 3×H×W input (default 3×224×224).</summary>
    public static IModelDefinition Create(int depth, int classes = 1000, Shape? input = null)
    {
        if (!Depths.TryGetValue(depth, out var layout))
        {
            throw new ConfigurationException($"ResNet-{depth} is not an ImageNet ResNet; use 18, 34, 50, 101 or 152 (CIFAR: 20, 32, 44, 56, 110)");
        }
        string name = $"resnet{depth}";
        Blocks.Classes(name, classes);
        var model = new ModelBuilder(name)
            .Conv2d(64, 7, stride: 2, padding: 3, bias: false, name: "conv1").BatchNorm(name: "bn1").Relu("relu")
            .MaxPool2d(3, stride: 2, padding: 1, name: "maxpool");
        int[] widths = [64, 128, 256, 512];
        for (int stage = 0; stage < 4; stage++)
        {
            int width = widths[stage];
            // The first block of a stage changes the shape (stride 2 after stage 1; a bottleneck's 4× width in stage 1).
            bool resize = stage > 0 || layout.Bottleneck;
            model.Repeat($"layer{stage + 1}", layout.Blocks[stage], (block, i) =>
            {
                int stride = stage > 0 && i == 0 ? 2 : 1;
                string residual = layout.Bottleneck ? Bottleneck(block, width, stride) : Basic(block, width, stride);
                Join(block, residual, i == 0 && resize ? Projection(block, width * (layout.Bottleneck ? 4 : 1), stride) : ModelBuilder.BlockInput);
            });
        }
        model.GlobalAvgPool("avgpool").Dense(classes, name: ClassicModelsPlugin.HeadName);
        string blocks = string.Join('-', layout.Blocks);
        return new ModelDefinition(
            $"ResNet-{depth} (torchvision v1.5) for 3×224×224: conv 7×7/2, max-pool, {(layout.Bottleneck ? "bottleneck" : "basic")} blocks {blocks} of 64, 128, 256, 512{(layout.Bottleneck ? "×4" : "")} channels with batch norm and projection shortcuts, global avg-pool, dense {classes}; head 'classifier'",
            model.Build())
        { DefaultInput = Blocks.Input(name, input ?? Blocks.ImageNetInput, 3) };
    }

    /// <summary>Within a block: 3×3 (stride), BN, ReLU, 3×3, BN; returns the last layer's name.</summary>
    internal static string Basic(ModelBuilder block, int width, int stride)
    {
        block.Conv2d(width, 3, stride: stride, padding: 1, bias: false, name: "conv1").BatchNorm(name: "bn1").Relu("relu1")
            .Conv2d(width, 3, padding: 1, bias: false, name: "conv2").BatchNorm(name: "bn2");
        return "bn2";
    }

    /// <summary>Within a block: 1×1, BN, ReLU, 3×3 (stride), BN, ReLU, 1×1 to 4·width, BN; returns the last layer's name.</summary>
    private static string Bottleneck(ModelBuilder block, int width, int stride)
    {
        block.Conv2d(width, 1, bias: false, name: "conv1").BatchNorm(name: "bn1").Relu("relu1")
            .Conv2d(width, 3, stride: stride, padding: 1, bias: false, name: "conv2").BatchNorm(name: "bn2").Relu("relu2")
            .Conv2d(width * 4, 1, bias: false, name: "conv3").BatchNorm(name: "bn3");
        return "bn3";
    }

    /// <summary>
    /// Within a block: the option-B shortcut on the block's input, a 1×1 convolution with the block's
    /// stride then BN, named as torchvision's <c>downsample</c> Sequential (<c>downsample.0</c>,
    /// <c>downsample.1</c>); returns the BN's name.
    /// </summary>
    internal static string Projection(ModelBuilder block, int channels, int stride)
    {
        block.Conv2d(channels, 1, stride: stride, bias: false, name: "downsample.0", inputs: ModelBuilder.BlockInput).BatchNorm(name: "downsample.1");
        return "downsample.1";
    }

    /// <summary>Within a block: the sum of the residual branch and the shortcut, then ReLU.</summary>
    internal static void Join(ModelBuilder block, string residual, string shortcut) =>
        block.Sum("add", residual, shortcut).Relu("relu");
}
