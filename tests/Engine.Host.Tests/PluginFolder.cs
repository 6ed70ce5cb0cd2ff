using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Engine.Tests;

namespace Engine.Host.Tests;

/// <summary>A temporary plugin folder that tests fill with real, broken and doctored plugins.</summary>
internal sealed class PluginFolder : IDisposable
{
    public PluginFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "engine-plugins-" + Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Copies a staged plugin (its whole folder, runtimes/ included) in, optionally under another
    /// folder name (which then renames its top-level files too).
    /// </summary>
    public string AddStaged(string plugin, string? asName = null)
    {
        string source = System.IO.Path.Combine(RepoPaths.StagedPlugins, plugin);
        string target = System.IO.Path.Combine(Path, asName ?? plugin);
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = System.IO.Path.GetRelativePath(source, file);
            if (asName is not null && !relative.Contains(System.IO.Path.DirectorySeparatorChar))
            {
                relative = relative.Replace(plugin, asName, StringComparison.Ordinal);
            }
            string destination = System.IO.Path.Combine(target, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return System.IO.Path.Combine(target, asName ?? plugin) + ".dll";
    }

    public string AddFile(string name, byte[] bytes)
    {
        string path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Rewrites the version of the plugin's reference to Engine.Abstractions in place: exactly what a
    /// plugin compiled against another SDK version carries. AssemblyRef rows start with the four
    /// 16-bit version numbers (ECMA-335 §II.22.5).
    /// </summary>
    public static void SetSdkReferenceVersion(string dll, ushort major, ushort minor)
    {
        byte[] bytes = File.ReadAllBytes(dll);
        int offset;
        using (var pe = new PEReader(new MemoryStream(bytes)))
        {
            MetadataReader md = pe.GetMetadataReader();
            AssemblyReferenceHandle handle = md.AssemblyReferences.Single(h => md.GetString(md.GetAssemblyReference(h).Name) == "Engine.Abstractions");
            int row = MetadataTokens.GetRowNumber(handle) - 1;
            offset = pe.PEHeaders.MetadataStartOffset + md.GetTableMetadataOffset(TableIndex.AssemblyRef) + row * md.GetTableRowSize(TableIndex.AssemblyRef);
        }
        BitConverter.TryWriteBytes(bytes.AsSpan(offset, 2), major);
        BitConverter.TryWriteBytes(bytes.AsSpan(offset + 2, 2), minor);
        File.WriteAllBytes(dll, bytes);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A loaded plugin's file may still be mapped; the temp folder is cleaned up by the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
