namespace Engine.Tests;

/// <summary>Locations in the repository, found from the test assembly's folder.</summary>
internal static class RepoPaths
{
    /// <summary>The folder holding Engine.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The bundled MNIST folder.</summary>
    public static string Mnist => Path.Combine(Root, "data", "mnist");

    /// <summary>Where plugin projects stage their build output.</summary>
    public static string StagedPlugins => Path.Combine(Root, "artifacts", "plugins");

    /// <summary>The shared data folder beside the repository (may be absent).</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Engine.sln above {AppContext.BaseDirectory}");
    }
}
