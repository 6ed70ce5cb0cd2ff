using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Engine.Host;

/// <summary>
/// Reads a plugin's metadata without loading it, so a file that is not .NET, not a plugin, or built
/// against another SDK is reported before any of its code can run or fail to bind.
/// </summary>
internal static class PluginInspector
{
    /// <summary>The assembly name and the Engine.Abstractions version it references (null: none).</summary>
    public static (string Name, Version? SdkVersion) Inspect(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            throw new BadImageFormatException("not a .NET assembly (no CLI metadata; a native library?)");
        }
        MetadataReader reader = pe.GetMetadataReader();
        if (!reader.IsAssembly)
        {
            throw new BadImageFormatException("a .NET module, not an assembly");
        }
        string name = reader.GetString(reader.GetAssemblyDefinition().Name);
        foreach (AssemblyReferenceHandle handle in reader.AssemblyReferences)
        {
            AssemblyReference reference = reader.GetAssemblyReference(handle);
            if (reader.GetString(reference.Name) == "Engine.Abstractions")
            {
                return (name, reference.Version);
            }
        }
        return (name, null);
    }
}
