using Microsoft.Extensions.DependencyInjection;

namespace Engine.Host;

/// <summary>Where the host looks for plugins and what else it registers.</summary>
public sealed class EngineHostOptions
{
    /// <summary>Extra plugin folders, searched first.</summary>
    public List<string> PluginFolders { get; } = [];

    /// <summary>
    /// Whether to search <see cref="PluginDiscovery.DefaultFolder"/>, <c>plugins/</c> in the application's
    /// own folder (default true): with it, <c>EngineHost.Create()</c> finds the plugins an application
    /// copies into its output.
    /// </summary>
    public bool UseDefaultFolder { get; set; } = true;

    /// <summary>Whether to search the folders in <c>ENGINE_PLUGIN_PATH</c> (default true).</summary>
    public bool UseEnvironmentVariable { get; set; } = true;

    /// <summary>Registers the app's own services (or components) beside the plugins'.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }
}
