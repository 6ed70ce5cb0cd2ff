using System.Text.Json.Nodes;
using Engine.Core;

namespace Engine.Cli;

/// <summary>
/// <c>--resume</c> continues a run exactly where it stopped only with the same model, data, input
/// and batch size: anything else would resume silently into a different run. Each difference is an
/// error naming the setting, the checkpoint's value and this run's.
/// </summary>
internal static class ResumeCheck
{
    // Metadata key → how the message names it (the option that sets it).
    private static readonly (string Key, string Setting)[] Compared =
    [
        ("model", "--model"),
        ("dataset", "--dataset"),
        ("data", "--data"),
        ("input_shape", "input shape"),
        ("augment", "--augment"),
        ("train_examples", "training examples (--limit, --validation-split)"),
    ];

    public static void Compatible(string path, JsonObject run, int batchSize)
    {
        JsonObject saved = Checkpoint.Read(path).Metadata;
        foreach (var (key, setting) in Compared)
        {
            // A key the checkpoint lacks (written by an older engine) is not compared.
            if (saved.ContainsKey(key) && !JsonNode.DeepEquals(saved[key], run[key]))
            {
                throw Mismatch(path, setting, Text(saved[key]), Text(run[key]));
            }
        }
        if (saved["trainer"]?["batch_size"] is JsonValue savedBatch && savedBatch.TryGetValue(out int b) && b != batchSize)
        {
            throw Mismatch(path, "--batch-size", b.ToString(System.Globalization.CultureInfo.InvariantCulture), batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static ConfigurationException Mismatch(string path, string setting, string saved, string now) =>
        new($"--resume '{path}': the checkpoint was trained with {setting} {saved} but this run has {now}; resuming would not continue the same run (give the same settings, or start afresh with --weights)");

    private static string Text(JsonNode? node) => node switch
    {
        null => "(none)",
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => node.ToJsonString(),
    };
}
