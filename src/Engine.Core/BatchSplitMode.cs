using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Whether a network splits each batch into one sub-batch per thread of the backend (see
/// <see cref="Network.BatchSplit"/>).
/// </summary>
public enum BatchSplitMode
{
    /// <summary>Split when the backend has more than one thread and the model is small (at most <see cref="Network.BatchSplitMaxMultiplyAccumulates"/> per sample).</summary>
    Auto,

    /// <summary>Split whenever the backend has more than one thread and the model allows it, whatever its size.</summary>
    On,

    /// <summary>Never split: each op spreads its own work over the backend's threads.</summary>
    Off,
}

/// <summary>Parses <see cref="BatchSplitMode"/> from the command line and the <c>ENGINE_BATCH_SPLIT</c> environment variable.</summary>
public static class BatchSplitModes
{
    /// <summary>The environment variable that sets the default mode of every network of the process.</summary>
    public const string EnvironmentVariable = "ENGINE_BATCH_SPLIT";

    /// <summary>auto, on or off (any case); anything else is a <see cref="ConfigurationException"/> naming <paramref name="source"/> and the value.</summary>
    public static BatchSplitMode Parse(string text, string source) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => BatchSplitMode.Auto,
        "on" => BatchSplitMode.On,
        "off" => BatchSplitMode.Off,
        _ => throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"{source} must be auto, on or off, got '{text}'")),
    };

    /// <summary>The mode <c>ENGINE_BATCH_SPLIT</c> sets (<see cref="BatchSplitMode.Auto"/> when unset or empty).</summary>
    public static BatchSplitMode FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? Parse(value, EnvironmentVariable) : BatchSplitMode.Auto;
}
