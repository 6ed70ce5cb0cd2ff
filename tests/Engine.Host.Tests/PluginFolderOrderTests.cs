namespace Engine.Host.Tests;

public sealed class PluginFolderOrderTests
{
    [Fact]
    public void ExplicitThenEnvironmentThenDefault()
    {
        string a = Path.Combine(Path.GetTempPath(), "a"), b = Path.Combine(Path.GetTempPath(), "b"), c = Path.Combine(Path.GetTempPath(), "c");
        string? saved = Environment.GetEnvironmentVariable(PluginDiscovery.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(PluginDiscovery.EnvironmentVariable, b + Path.PathSeparator + c);
            var options = new EngineHostOptions();
            options.PluginFolders.Add(a);
            var folders = PluginDiscovery.ResolveFolders(options);
            Assert.Equal([a, b, c, Path.Combine(AppContext.BaseDirectory, "plugins")], folders);

            options.UseEnvironmentVariable = false;
            options.UseDefaultFolder = false;
            Assert.Equal([a], PluginDiscovery.ResolveFolders(options));
        }
        finally
        {
            Environment.SetEnvironmentVariable(PluginDiscovery.EnvironmentVariable, saved);
        }
    }
}
