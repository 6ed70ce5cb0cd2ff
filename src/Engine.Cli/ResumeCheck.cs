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

    /// <summary>
    /// Throws on the first difference; with <paramref name="allowChanges"/> (<c>--allow-changes</c>)
    /// writes each as a note to <paramref name="notes"/> instead. The model itself must match either
    /// way: its weights could not be restored into another one.
    /// </summary>
    public static void Compatible(string path, JsonObject run, int batchSize, bool allowChanges, TextWriter notes)
    {
        JsonObject saved = Checkpoint.Read(path).Metadata;
        var differences = new List<(string Setting, string Saved, string Now)>();
        foreach (var (key, setting) in Compared)
        {
            // A key the checkpoint lacks (written by an older engine) is not compared.
            if (saved.ContainsKey(key) && !JsonNode.DeepEquals(saved[key], run[key]))
            {
                differences.Add((setting, Text(saved[key]), Text(run[key])));
            }
        }
        if (saved["trainer"]?["batch_size"] is JsonValue savedBatch && savedBatch.TryGetValue(out int b) && b != batchSize)
        {
            differences.Add(("--batch-size", b.ToString(System.Globalization.CultureInfo.InvariantCulture), batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        foreach (var (setting, was, now) in differences)
        {
            if (!allowChanges || setting == "--model")
            {
                throw Mismatch(path, setting, was, now);
            }
            notes.WriteLine($"changed   {setting}: {was} in the checkpoint, {now} now (--allow-changes: the run no longer continues exactly where it stopped)");
        }
    }

    private static ConfigurationException Mismatch(string path, string setting, string saved, string now) =>
        new($"--resume '{path}': the checkpoint was trained with {setting} {saved} but this run has {now}; " + (setting == "--model"
            ? "its weights belong to that model (give it, or start afresh with --weights)"
            : "resuming would not continue the same run (give the same settings, --allow-changes, or start afresh with --weights)"));

    private static string Text(JsonNode? node) => node switch
    {
        null => "(none)",
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => node.ToJsonString(),
    };
}
