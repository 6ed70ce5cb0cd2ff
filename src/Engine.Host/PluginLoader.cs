using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ContextLoader = McMaster.NETCore.Plugins.PluginLoader;

namespace Engine.Host;

/// <summary>
/// Loads one plugin file into its own context and lets it register its services. Every failure
/// becomes a one-line <see cref="PluginRecord.Message"/>; nothing a plugin does can stop the others
/// from loading, and a plugin that throws half-way through Register contributes nothing.
/// </summary>
/// <remarks>
/// The context comes from McMaster.NETCore.Plugins: the plugin's own managed and native dependencies
/// resolve from its folder through its .deps.json (so two plugins may carry different versions of a
/// library, and a native library such as libSkiaSharp is found under the plugin's runtimes/ folder),
/// while the assemblies of <see cref="SharedTypes"/>, and everything they reference, come from the
/// host, so <c>IEnginePlugin</c> in the plugin is the same type as in the host. The engine's own checks
/// (metadata inspection, SDK version, duplicates) run before any context is made.
/// </remarks>
internal static class PluginLoader
{
    /// <summary>Types whose assemblies every plugin shares with the host: the SDK and the DI and logging abstractions.</summary>
    internal static readonly Type[] SharedTypes = [typeof(IEnginePlugin), typeof(IServiceCollection), typeof(ILogger)];

    public static PluginRecord Load(string path, IServiceCollection services, IReadOnlyDictionary<string, PluginRecord> loadedByName)
    {
        var record = new PluginRecord(path) { Name = Path.GetFileNameWithoutExtension(path) };
        try
        {
            (string name, Version? sdk) = PluginInspector.Inspect(path);
            record.Name = name;
            if (sdk is null)
            {
                return Fail(record, "not an Engine plugin: it does not reference Engine.Abstractions");
            }
            record.SdkVersion = new Version(sdk.Major, sdk.Minor);
            // Refused on its metadata alone: none of its types is loaded, so a plugin built against
            // another SDK can never fail half-way with a MissingMethodException or TypeLoadException.
            if (!EngineSdk.IsCompatible(record.SdkVersion))
            {
                return Fail(record, Incompatible(Path.GetFileName(path), record.SdkVersion));
            }
            if (loadedByName.TryGetValue(name, out PluginRecord? earlier))
            {
                return Fail(record, $"skipped: plugin '{name}' is already loaded from {earlier.FilePath}");
            }

            // Not unloadable: the host keeps the plugin's services for its whole life.
            ContextLoader loader = ContextLoader.CreateFromAssemblyFile(Path.GetFullPath(path), SharedTypes, config => config.IsUnloadable = false);
            Assembly assembly = loader.LoadDefaultAssembly();
            var entryTypes = assembly.GetExportedTypes()
                .Where(t => typeof(IEnginePlugin).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false } && t.GetConstructor(Type.EmptyTypes) is not null)
                .ToList();
            if (entryTypes.Count == 0)
            {
                return Fail(record, "references Engine.Abstractions but has no public class implementing IEnginePlugin with a parameterless constructor");
            }

            var local = new ServiceCollection();
            foreach (Type type in entryTypes)
            {
                var plugin = (IEnginePlugin)Activator.CreateInstance(type)!;
                plugin.Register(local);
            }
            foreach (ServiceDescriptor descriptor in local)
            {
                services.Add(descriptor);
                record.Descriptors.Add(descriptor);
            }
            record.Assembly = assembly;
            record.Status = PluginStatus.Loaded;
            return record;
        }
        catch (Exception e)
        {
            return Fail(record, Describe(e));
        }
    }

    /// <summary>Why a plugin built against <paramref name="pluginSdk"/> cannot run on this host's SDK.</summary>
    internal static string Incompatible(string file, Version pluginSdk)
    {
        string built = $"{file} was built against Engine SDK {pluginSdk.Major}.{pluginSdk.Minor} but this host provides SDK {EngineSdk.Version}";
        return pluginSdk.Major != EngineSdk.Major
            ? $"{built} (major versions must match; rebuild the plugin against SDK {EngineSdk.Major}.x)"
            : $"{built} (the plugin needs SDK {pluginSdk.Major}.{pluginSdk.Minor} or newer; update the engine, or rebuild the plugin against SDK {EngineSdk.Version})";
    }

    private static PluginRecord Fail(PluginRecord record, string message)
    {
        record.Status = PluginStatus.Failed;
        record.Message = OneLine(message);
        return record;
    }

    private static string Describe(Exception e) => e switch
    {
        TargetInvocationException { InnerException: { } inner } => Describe(inner),
        BadImageFormatException => $"not a loadable .NET assembly: {e.Message}",
        ReflectionTypeLoadException rtl => "could not load its types: " +
            string.Join("; ", rtl.LoaderExceptions.OfType<Exception>().Select(x => x.Message).Distinct().Take(3)),
        FileNotFoundException fnf => $"a dependency is missing: {fnf.FileName ?? fnf.Message}",
        FileLoadException fl => $"a dependency could not be loaded: {fl.FileName ?? ""} {fl.Message}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
