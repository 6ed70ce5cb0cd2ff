using System.Text.Json.Nodes;

namespace Engine.Models.Classic;

/// <summary>A multilayer perceptron for 28×28 digits: flatten → dense 256 → ReLU → dense 10 (203,530 parameters).</summary>
public static class MlpModel
{
    /// <summary>The definition registered as <c>mlp</c>.</summary>
    public static IModelDefinition Definition { get; } = new ModelDefinition(
        "multilayer perceptron 784-256-10 with ReLU (the walking-skeleton network)",
        new ModelSpec("mlp",
        [
            new LayerSpec("flatten"),
            new LayerSpec("dense", new JsonObject { ["units"] = 256 }),
            new LayerSpec("relu"),
            new LayerSpec("dense", new JsonObject { ["units"] = 10 }),
        ]));
}
