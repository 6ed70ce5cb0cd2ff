using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// A small VGG-style network for 3×32×32 CIFAR-10, sized to train on a few CPU cores: three blocks
/// of two 3×3 convolutions (32, 64, 128 filters, 'same' padding, each followed by batch norm and
/// ReLU) and a 2×2 max pool, then dropout 0.3 and one dense layer of 10. The convolutions have no
/// bias because the batch norm after each adds its own shift. 307,946 parameters; 38,653,952
/// multiply-accumulates per 32×32 image (the convolutions 38,633,472, the classifier 20,480).
/// Meant to reach 75–85% test accuracy in 10–20 epochs with random crops and flips.
/// </summary>
public static class VggCifarModel
{
    /// <summary>The definition registered as <c>vgg-cifar</c>.</summary>
    public static IModelDefinition Definition { get; } = new ModelDefinition(
        "VGG-style CIFAR-10 net for 3×32×32: [conv 3×3, BN, ReLU]×2 + max-pool per block (32, 64, 128), dropout 0.3, dense 10; 307,946 parameters, 38.7M MACs per image; head 'classifier'",
        Build());

    private static ModelSpec Build()
    {
        var model = new ModelBuilder("vgg-cifar");
        int[] widths = [32, 64, 128];
        for (int block = 1; block <= widths.Length; block++)
        {
            foreach (char conv in "ab")
            {
                model.Conv2d(widths[block - 1], 3, padding: ModelBuilder.Padding.Same, bias: false, name: $"conv{block}{conv}")
                    .BatchNorm(name: $"bn{block}{conv}")
                    .Relu($"relu{block}{conv}");
            }
            model.MaxPool2d(2, name: $"pool{block}");
        }
        return model.Flatten("flatten").Dropout(0.3, "dropout").Dense(10, name: ClassicModelsPlugin.HeadName).Build();
    }
}
