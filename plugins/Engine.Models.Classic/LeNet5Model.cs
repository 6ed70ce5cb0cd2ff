using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// LeNet-5 for 1×28×28 digits (LeCun et al. 1998, with ReLU and max pooling as it is trained today):
/// conv 6@5×5 pad 2 → ReLU → max-pool 2 → conv 16@5×5 → ReLU → max-pool 2 → flatten → dense 120 → ReLU →
/// dense 84 → ReLU → dense 10. 61,706 parameters; 416,520 multiply-accumulates per 28×28 image
/// (conv1 117,600, conv2 240,000, fc1 48,000, fc2 10,080, classifier 840).
/// </summary>
public static class LeNet5Model
{
    /// <summary>The definition registered as <c>lenet5</c>.</summary>
    public static IModelDefinition Definition { get; } = new ModelDefinition(
        "LeNet-5 for 1×28×28 (conv 6@5×5 pad 2, pool, conv 16@5×5, pool, dense 120, 84, 10; ReLU); 61,706 parameters, 0.42M MACs per image; head 'classifier'",
        new ModelBuilder("lenet5")
            .Conv2d(6, 5, padding: 2, name: "conv1").Relu("relu1").MaxPool2d(2, name: "pool1")
            .Conv2d(16, 5, name: "conv2").Relu("relu2").MaxPool2d(2, name: "pool2")
            .Flatten("flatten")
            .Dense(120, name: "fc1").Relu("relu3")
            .Dense(84, name: "fc2").Relu("relu4")
            .Dense(10, name: ClassicModelsPlugin.HeadName)
            .Build());
}
