using System.CommandLine;
using Engine.Host;

namespace Engine.Cli;

/// <summary><c>engine plugins</c>: the folders searched, each plugin found, what it registers, and what failed and why.</summary>
internal static class PluginsCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("plugins", "List plugin folders, loaded plugins and what each registers, and plugins that failed to load");
        command.SetAction(result => EngineCli.Guard(Console.Error, () =>
        {
            var options = new EngineHostOptions();
            options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
            using EngineHost host = EngineHost.Create(options);
            Print(host, output);
            return 0;
        }));
        return command;
    }

    public static void Print(EngineHost host, TextWriter output)
    {
        output.WriteLine($"Engine SDK {EngineSdk.Version}");
        output.WriteLine("Plugin folders (in search order):");
        foreach (string folder in host.PluginFolders)
        {
            output.WriteLine($"  {folder}{(Directory.Exists(folder) ? "" : "  (does not exist)")}");
        }

        var loaded = host.Plugins.Where(p => p.Status == PluginStatus.Loaded).ToList();
        output.WriteLine($"Loaded plugins ({loaded.Count}):");
        foreach (PluginRecord plugin in loaded)
        {
            output.WriteLine($"  {plugin.Name} (SDK {plugin.SdkVersion})  {plugin.FilePath}");
            foreach (PluginRegistration r in plugin.Registrations)
            {
                string detail = r.Category == "backend" ? Availability(host, r.Name) : r.Description;
                output.WriteLine($"    {r.Category,-9} {r.Name,-24} {detail}");
            }
        }

        var fromPlugins = host.Plugins.SelectMany(p => p.Registrations).Select(r => (r.Category, r.Name)).ToHashSet();
        output.WriteLine("Built into the core:");
        foreach (var loss in host.Catalog.Losses.Where(l => !fromPlugins.Contains(("loss", l.Name))))
        {
            output.WriteLine($"    {"loss",-9} {loss.Name,-24} {loss.Description}");
        }
        foreach (var optimizer in host.Catalog.Optimizers.Where(o => !fromPlugins.Contains(("optimizer", o.Name))))
        {
            output.WriteLine($"    {"optimizer",-9} {optimizer.Name,-24} {optimizer.Description}");
        }

        var failed = host.Plugins.Where(p => p.Status == PluginStatus.Failed).ToList();
        output.WriteLine($"Failed ({failed.Count}):");
        foreach (PluginRecord plugin in failed)
        {
            output.WriteLine($"  {plugin.FilePath}: {plugin.Message}");
        }
    }

    private static string Availability(EngineHost host, string backend)
    {
        BackendProbe probe = host.Catalog.Backend(backend).Probe();
        return (probe.IsAvailable ? "available: " : "UNAVAILABLE: ") + probe.Detail;
    }
}
