using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// The CIFAR ResNets of He et al. (2015, section 4.2), depth 6n + 2: conv 16@3×3, BN, ReLU; three
/// stages of n basic blocks (3×3, BN, ReLU, 3×3, BN, add, ReLU) at 16, 32 and 64 channels on 32×32,
/// 16×16 and 8×8 maps (stride 2 in the first block of stages 2 and 3); global average pooling; dense
/// classes. Shortcuts are option A as in the paper: where a block halves the map and doubles the
/// channels, the shortcut is the input subsampled with stride 2 (a 1×1 max pool of stride 2) with
/// zero channels padded on both sides (a quarter of the new width each, as the common reference
/// implementation does), so shortcuts have no parameters: ResNet-20 has 269,722 at 10 classes.
/// Option B (<c>-b</c> names) uses a 1×1 projection with BN instead. A stage is one
/// <see cref="ModelBuilder.Repeat"/>: <c>layer2.0.conv1</c>, <c>layer2.0.shortcut_pad</c>, <c>layer2.0.downsample.0</c> (option B).
/// </summary>
public static class CifarResNetModel
{
    /// <summary>The registered depths.</summary>
    public static IEnumerable<int> Registered => [20, 32, 44, 56, 110];

    /// <summary>ResNet-<paramref name="depth"/> for CIFAR (depth 6n + 2) with <paramref name="classes"/> classes and a 3×H×W input (default 3×32×32).</summary>
    public static IModelDefinition Create(int depth, bool projection = false, int classes = 10, Shape? input = null)
    {
        string name = $"resnet{depth}{(projection ? "-b" : "")}";
        if (depth < 8 || (depth - 2) % 6 != 0)
        {
            throw new ConfigurationException($"model '{name}': a CIFAR ResNet has depth 6n + 2 (20, 32, 44, 56, 110, …), got {depth}");
        }
        Blocks.Classes(name, classes);
        int n = (depth - 2) / 6;
        var model = new ModelBuilder(name).Conv2d(16, 3, padding: 1, bias: false, name: "conv1").BatchNorm(name: "bn1").Relu("relu");
        int[] widths = [16, 32, 64];
        for (int stage = 0; stage < 3; stage++)
        {
            int width = widths[stage];
            model.Repeat($"layer{stage + 1}", n, (block, i) =>
            {
                // The first block of stages 2 and 3 halves the map and doubles the channels.
                int stride = stage > 0 && i == 0 ? 2 : 1;
                string residual = ResNetModel.Basic(block, width, stride);
                string shortcut = stride == 1 ? ModelBuilder.BlockInput
                    : projection ? ResNetModel.Projection(block, width, stride)
                    : OptionA(block, width / 2, stride);
                ResNetModel.Join(block, residual, shortcut);
            });
        }
        model.GlobalAvgPool("avgpool").Dense(classes, name: ClassicModelsPlugin.HeadName);
        return new ModelDefinition(
            $"ResNet-{depth} for CIFAR 3×32×32 (He et al.): conv 16@3×3, 3 stages of {n} basic blocks at 16, 32, 64 channels with batch norm, option-{(projection ? "B (1×1 projection)" : "A (strided identity, zero channels)")} shortcuts, global avg-pool, dense {classes}; head 'classifier'",
            model.Build())
        { DefaultInput = Blocks.Input(name, input ?? new Shape(3, 32, 32), 3) };
    }

    /// <summary>Within a block, option A: every <paramref name="stride"/>-th position of the block's input, with <paramref name="extra"/> zero channels split before and after.</summary>
    private static string OptionA(ModelBuilder block, int extra, int stride)
    {
        block.MaxPool2d(1, stride: stride, name: "shortcut_subsample", inputs: ModelBuilder.BlockInput)
            .PadChannels(extra / 2, extra - extra / 2, name: "shortcut_pad");
        return "shortcut_pad";
    }
}
