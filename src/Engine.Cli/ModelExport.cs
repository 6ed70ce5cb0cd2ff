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
                ["mean"] = Numbers(n.Mean),
                ["std"] = Numbers(n.Std),
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

    // The values are floats; written at float precision, 0.1307f stays 0.1307 in the file.
    private static JsonArray Numbers(IEnumerable<float> values) =>
        new(values.Select(v => (JsonNode)double.Parse(v.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)).ToArray());

    /// <summary>The <c>normalize=M/…:S/…</c> augmentation spec of a model file's <c>normalization</c>, or null.</summary>
    public static string? NormalizationSpec(JsonObject metadata)
    {
        if (metadata["normalization"] is not JsonObject n || n["mean"] is not JsonArray mean || n["std"] is not JsonArray std)
        {
            return null;
        }
        static string Join(JsonArray values) => string.Join("/", values.Select(v => v?.ToJsonString()));
        return $"normalize={Join(mean)}:{Join(std)}";
    }
}
