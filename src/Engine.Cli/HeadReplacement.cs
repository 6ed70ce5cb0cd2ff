using System.Text.Json.Nodes;

namespace Engine.Cli;

/// <summary>
/// <c>--replace-head</c>: the model with its last dense layer resized to the data set's class count,
/// as when a network trained on one data set is fine-tuned on another.
/// </summary>
internal static class HeadReplacement
{
    public static ModelSpec WithClasses(ModelSpec spec, int classes)
    {
        int head = -1;
        for (int i = spec.Layers.Count - 1; i >= 0 && head < 0; i--)
        {
            if (string.Equals(spec.Layers[i].Kind, "dense", StringComparison.OrdinalIgnoreCase))
            {
                head = i;
            }
        }
        if (head < 0)
        {
            throw new ConfigurationException($"--replace-head: model '{spec.Name}' has no dense layer to replace");
        }
        LayerSpec old = spec.Layers[head];
        var arguments = (JsonObject?)old.Arguments?.DeepClone() ?? [];
        arguments["units"] = classes;
        var layers = spec.Layers.ToArray();
        layers[head] = old with { Arguments = arguments };
        return spec with { Layers = layers };
    }
}
