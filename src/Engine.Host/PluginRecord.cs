using System.Reflection;

namespace Engine.Host;

/// <summary>What happened to one plugin file.</summary>
public enum PluginStatus
{
    /// <summary>Loaded and registered.</summary>
    Loaded,

    /// <summary>Not loaded; <see cref="PluginRecord.Message"/> says why.</summary>
    Failed,
}

/// <summary>One registration a plugin made, for listings.</summary>
/// <param name="Category">backend, layer, loss, optimizer, dataset, model or service.</param>
/// <param name="Name">The component name users write (or the type name for other services).</param>
/// <param name="Description">One line about it.</param>
public sealed record PluginRegistration(string Category, string Name, string Description);

/// <summary>The outcome for one plugin assembly: where it was found, what it registered, or why it failed.</summary>
public sealed class PluginRecord
{
    internal PluginRecord(string path) => FilePath = path;

    /// <summary>Full path of the plugin's main assembly.</summary>
    public string FilePath { get; }

    /// <summary>Assembly name (or file name when it could not be read).</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Loaded or failed.</summary>
    public PluginStatus Status { get; internal set; } = PluginStatus.Failed;

    /// <summary>Why it failed (one line), or empty.</summary>
    public string Message { get; internal set; } = "";

    /// <summary>SDK version the plugin was built against, when known.</summary>
    public Version? SdkVersion { get; internal set; }

    /// <summary>The plugin's assembly when loaded.</summary>
    public Assembly? Assembly { get; internal set; }

    /// <summary>The service registrations the plugin made (to attribute components to plugins).</summary>
    internal List<Microsoft.Extensions.DependencyInjection.ServiceDescriptor> Descriptors { get; } = [];

    /// <summary>What the plugin registered.</summary>
    public List<PluginRegistration> Registrations { get; } = [];

    /// <inheritdoc/>
    public override string ToString() =>
        Status == PluginStatus.Loaded ? $"{Name} ({FilePath})" : $"FAILED {FilePath}: {Message}";
}
