using System.Text.Json.Nodes;

namespace Engine.Cli;

/// <summary>
/// <c>--replace-head</c>: the model with its last dense layer resized to the data set's class count,
/// as when a network trained on one data set is fine-tuned on another; dense auxiliary outputs are
/// resized with it.
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
        var layers = spec.Layers.ToArray();
        Resize(layers, head, classes);
        // Auxiliary classifiers (GoogLeNet's) are trained against the same labels: resized too.
        foreach (AuxiliaryOutput auxiliary in spec.AuxiliaryOutputs)
        {
            int index = Array.FindIndex(layers, l => l.Name == auxiliary.Layer);
            if (index >= 0 && string.Equals(layers[index].Kind, "dense", StringComparison.OrdinalIgnoreCase))
            {
                Resize(layers, index, classes);
            }
        }
        return spec with { Layers = layers };
    }

    private static void Resize(LayerSpec[] layers, int index, int classes)
    {
        LayerSpec old = layers[index];
        var arguments = (JsonObject?)old.Arguments?.DeepClone() ?? [];
        arguments["units"] = classes;
        layers[index] = old with { Arguments = arguments };
    }
}
