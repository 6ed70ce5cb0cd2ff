using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// The plugin host of one command. It remembers which plugins failed to load, so that the command's
/// error names them and says why (<see cref="EngineCli.Guard"/>): "no model format reads or writes
/// 'm.onnx' … (is the Engine.Interop.Onnx plugin loaded?)" then explains itself where it happened,
/// on a CI machine that is gone by the time someone could run 'engine plugins' there.
/// </summary>
internal static class CliHost
{
    // The current invocation's list (an AsyncLocal, as EngineCli.ShowStackTraces is, so in-process runs
    // in parallel tests never see each other's). EngineCli.Run puts a fresh list there before the command
    // runs and Create fills it: the list itself is shared, so it reaches Guard even from an async body.
    private static readonly AsyncLocal<List<PluginRecord>?> Failed = new();

    /// <summary><see cref="EngineHost.Create"/>, remembering the plugins that failed to load.</summary>
    public static EngineHost Create(EngineHostOptions options)
    {
        EngineHost host = EngineHost.Create(options);
        Failed.Value?.AddRange(host.Plugins.Where(p => p.Status == PluginStatus.Failed));
        return host;
    }

    /// <summary>Starts an invocation of the command line: no plugin has failed yet.</summary>
    public static void BeginInvocation() => Failed.Value = [];

    /// <summary>
    /// One line for each plugin that failed to load in this invocation: its name, its file and why
    /// (<see cref="PluginRecord.Message"/>, one line, never a stack trace).
    /// </summary>
    public static IEnumerable<string> FailureLines() =>
        (Failed.Value ?? []).DistinctBy(p => p.FilePath).Select(p => $"  plugin {p.Name} failed to load from {p.FilePath}: {p.Message}");
}
