using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// ResNet for ImageNet (He et al., 2015), torchvision's layout (v1.5: a bottleneck's stride is on
/// its 3×3 convolution). Stem: conv 64@7×7/2 pad 3, batch norm, ReLU, max-pool 3/2 pad 1. Four
/// stages of 64, 128, 256, 512 channels (×4 at a bottleneck's output), the first block of stages 2–4
/// with stride 2. Basic block (ResNet-18, 34): 3×3, BN, ReLU, 3×3, BN. Bottleneck (50, 101, 152):
/// 1×1, BN, ReLU, 3×3, BN, ReLU, 1×1 (×4), BN. Where the shape changes the shortcut is a 1×1
/// projection with batch norm (option B), else the identity; the sum is followed by ReLU. Then global
/// average pooling and dense classes. Convolutions have no bias (batch norm follows each). Layers are
/// named like torchvision's with '_' for '.': <c>layer3_5_conv2</c>, <c>layer3_0_downsample_bn</c>.
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
        int expansion = layout.Bottleneck ? 4 : 1;
        int channels = 64;
        string last = "maxpool";
        int[] widths = [64, 128, 256, 512];
        for (int stage = 0; stage < 4; stage++)
        {
            int width = widths[stage];
            last = Blocks.Repeat(layout.Blocks[stage], last, (i, input) =>
            {
                int stride = stage > 0 && i == 0 ? 2 : 1;
                string prefix = $"layer{stage + 1}_{i}_";
                string output = layout.Bottleneck
                    ? Bottleneck(model, prefix, input, width, stride)
                    : Basic(model, prefix, input, width, stride);
                string shortcut = stride != 1 || channels != width * expansion
                    ? Projection(model, prefix, input, width * expansion, stride)
                    : input;
                channels = width * expansion;
                model.Sum($"{prefix}add", output, shortcut).Relu($"{prefix}relu");
                return $"{prefix}relu";
            });
        }
        model.GlobalAvgPool("avgpool", last).Dense(classes, name: ClassicModelsPlugin.HeadName);
        string blocks = string.Join('-', layout.Blocks);
        return new ModelDefinition(
            $"ResNet-{depth} (torchvision v1.5) for 3×224×224: conv 7×7/2, max-pool, {(layout.Bottleneck ? "bottleneck" : "basic")} blocks {blocks} of 64, 128, 256, 512{(layout.Bottleneck ? "×4" : "")} channels with batch norm and projection shortcuts, global avg-pool, dense {classes}; head 'classifier'",
            model.Build())
        { DefaultInput = Blocks.Input(name, input ?? Blocks.ImageNetInput, 3) };
    }

    /// <summary>3×3 (stride), BN, ReLU, 3×3, BN; returns the last layer's name.</summary>
    internal static string Basic(ModelBuilder model, string prefix, string input, int width, int stride)
    {
        model.Conv2d(width, 3, stride: stride, padding: 1, bias: false, name: $"{prefix}conv1", inputs: input).BatchNorm(name: $"{prefix}bn1").Relu($"{prefix}relu1")
            .Conv2d(width, 3, padding: 1, bias: false, name: $"{prefix}conv2").BatchNorm(name: $"{prefix}bn2");
        return $"{prefix}bn2";
    }

    /// <summary>1×1, BN, ReLU, 3×3 (stride), BN, ReLU, 1×1 to 4·width, BN; returns the last layer's name.</summary>
    private static string Bottleneck(ModelBuilder model, string prefix, string input, int width, int stride)
    {
        model.Conv2d(width, 1, bias: false, name: $"{prefix}conv1", inputs: input).BatchNorm(name: $"{prefix}bn1").Relu($"{prefix}relu1")
            .Conv2d(width, 3, stride: stride, padding: 1, bias: false, name: $"{prefix}conv2").BatchNorm(name: $"{prefix}bn2").Relu($"{prefix}relu2")
            .Conv2d(width * 4, 1, bias: false, name: $"{prefix}conv3").BatchNorm(name: $"{prefix}bn3");
        return $"{prefix}bn3";
    }

    /// <summary>The option-B shortcut: 1×1 convolution with the block's stride, then BN.</summary>
    internal static string Projection(ModelBuilder model, string prefix, string input, int channels, int stride)
    {
        model.Conv2d(channels, 1, stride: stride, bias: false, name: $"{prefix}downsample_conv", inputs: input).BatchNorm(name: $"{prefix}downsample_bn");
        return $"{prefix}downsample_bn";
    }
}
