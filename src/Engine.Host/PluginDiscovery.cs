namespace Engine.Host;

/// <summary>
/// Finds plugin assemblies. In a plugin folder, every sub-folder <c>X/</c> holding <c>X.dll</c> is
/// one plugin (its dependencies beside it, the layout <c>dotnet publish</c> produces), and every
/// <c>.dll</c> directly in the folder is a plugin on its own.
/// </summary>
public static class PluginDiscovery
{
    /// <summary>The environment variable holding extra plugin folders, separated by the path separator.</summary>
    public const string EnvironmentVariable = "ENGINE_PLUGIN_PATH";

    /// <summary>
    /// <c>plugins/</c> in the application's own folder (<see cref="AppContext.BaseDirectory"/>: where its
    /// assembly and <c>Engine.Host.dll</c> are, also under <c>dotnet app.dll</c> and in a test host):
    /// the folder an application stages its plugins into, as <c>plugins/&lt;Name&gt;/&lt;Name&gt;.dll</c>,
    /// and the one the <c>engine</c> command ships with.
    /// </summary>
    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>
    /// Plugin folders in search order: explicit ones, then <see cref="EnvironmentVariable"/>, then
    /// <see cref="DefaultFolder"/>. Duplicates are removed.
    /// </summary>
    public static IReadOnlyList<string> ResolveFolders(EngineHostOptions options)
    {
        var folders = new List<string>();
        folders.AddRange(options.PluginFolders);
        if (options.UseEnvironmentVariable)
        {
            string? fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv))
            {
                folders.AddRange(fromEnv.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }
        if (options.UseDefaultFolder)
        {
            folders.Add(DefaultFolder);
        }
        return folders.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Main assemblies of the plugins in <paramref name="folder"/>, sorted for a stable order.</summary>
    public static IEnumerable<string> FindPluginFiles(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }
        var loose = Directory.EnumerateFiles(folder, "*.dll");
        var nested = Directory.EnumerateDirectories(folder)
            .Select(d => Path.Combine(d, Path.GetFileName(d) + ".dll"))
            .Where(File.Exists);
        return loose.Concat(nested).Order(StringComparer.Ordinal);
    }
}
