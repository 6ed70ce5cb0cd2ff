using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// A multilayer perceptron for 28×28 digits: flatten → dense 256 → ReLU → dense 10 (203,530
/// parameters, 203,264 multiply-accumulates per image). Its layers keep the network's default names
/// (flatten1, dense1, relu1, dense2), which earlier runs and patterns refer to.
/// </summary>
public static class MlpModel
{
    /// <summary>The definition registered as <c>mlp</c>.</summary>
    public static IModelDefinition Definition { get; } = new ModelDefinition(
        "multilayer perceptron 784-256-10 with ReLU (the walking-skeleton network)",
        new ModelBuilder("mlp").Flatten().Dense(256).Relu().Dense(10).Build());
}
