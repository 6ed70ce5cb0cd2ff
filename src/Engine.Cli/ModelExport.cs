using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Core;

namespace Engine.Cli;

/// <summary>The metadata a model file carries besides its layers: the normalisation and the class names.</summary>
internal static class ModelExport
{
    /// <summary><c>{"normalization": {"mean": […], "std": […]}, "class_names": […], …}</c> from a checkpoint's metadata.</summary>
    public static JsonObject Metadata(CheckpointModel checkpoint)
    {
        var metadata = new JsonObject { ["model"] = checkpoint.Metadata["model"]?.DeepClone() };
        if (checkpoint.EvaluationPipeline().Transforms.OfType<Normalization>().FirstOrDefault() is Normalization n)
        {
            metadata["normalization"] = new JsonObject
            {
                ["mean"] = new JsonArray(n.Mean.Select(v => (JsonNode)v).ToArray()),
                ["std"] = new JsonArray(n.Std.Select(v => (JsonNode)v).ToArray()),
            };
        }
        foreach (string key in new[] { "class_names", "dataset" })
        {
            if (checkpoint.Metadata[key] is JsonNode value)
            {
                metadata[key] = value.DeepClone();
            }
        }
        return metadata;
    }

    /// <summary>The <c>normalize=M/…:S/…</c> augmentation spec of a model file's <c>normalization</c>, or null.</summary>
    public static string? NormalizationSpec(JsonObject metadata)
    {
        if (metadata["normalization"] is not JsonObject n || n["mean"] is not JsonArray mean || n["std"] is not JsonArray std)
        {
            return null;
        }
        static string Join(JsonArray values) => string.Join("/", values.Select(v => v!.GetValue<double>().ToString("R", CultureInfo.InvariantCulture)));
        return $"normalize={Join(mean)}:{Join(std)}";
    }
}
