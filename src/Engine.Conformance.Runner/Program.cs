using Engine;
using Engine.Conformance;
using Engine.Host;

// check-backend NAME [--plugins DIR]... [--reference NAME] [--filter TEXT] [--hide-skipped]
// The same run as `engine check-backend`, without the rest of the engine command: plugins come from
// plugins/ beside this executable, ENGINE_PLUGIN_PATH and each --plugins folder.
const string Usage = "usage: check-backend NAME [--plugins DIR]... [--reference NAME (default cpu)] [--filter TEXT] [--hide-skipped]";
string? name = null, filter = null;
string reference = BackendCheck.DefaultReference;
bool showSkipped = true;
var folders = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string arg = args[i];
    string? Value()
    {
        if (i + 1 < args.Length)
        {
            return args[++i];
        }
        Console.Error.WriteLine($"error: {arg} needs a value");
        return null;
    }
    switch (arg)
    {
        case "-h" or "--help":
            Console.WriteLine(Usage);
            return 0;
        case "--plugins":
            if (Value() is not { } folder)
            {
                return 2;
            }
            folders.Add(folder);
            break;
        case "--reference":
            if (Value() is not { } r)
            {
                return 2;
            }
            reference = r;
            break;
        case "--filter":
            if ((filter = Value()) is null)
            {
                return 2;
            }
            break;
        case "--hide-skipped":
            showSkipped = false;
            break;
        default:
            if (arg.StartsWith('-') || name is not null)
            {
                Console.Error.WriteLine($"error: unexpected argument '{arg}'");
                Console.Error.WriteLine(Usage);
                return 2;
            }
            name = arg;
            break;
    }
}
if (name is null)
{
    Console.Error.WriteLine("error: name the backend to check");
    Console.Error.WriteLine(Usage);
    return 2;
}
try
{
    var options = new EngineHostOptions();
    options.PluginFolders.AddRange(folders);
    using EngineHost host = EngineHost.Create(options);
    foreach (PluginRecord failed in host.Plugins.Where(p => p.Status == PluginStatus.Failed))
    {
        Console.Error.WriteLine($"warning: plugin {failed.FilePath} did not load: {failed.Message}");
    }
    return BackendCheck.Run(host.Catalog, name, reference, filter, showSkipped, Console.Out, Console.Error);
}
catch (EngineException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
