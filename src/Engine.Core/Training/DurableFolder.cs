using System.Runtime.InteropServices;

namespace Engine.Core;

/// <summary>
/// fsync of a folder on POSIX systems, after a file was renamed into it: without it the rename may be
/// lost in a power cut even though the file's data was flushed. .NET opens no folder handles, so this
/// calls the C library; on Windows the rename is durable through the file's own flush.
/// </summary>
internal static partial class DurableFolder
{
    private const int ReadOnly = 0;

    public static void Sync(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        int fd = Open(folder, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open folder {folder} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"cannot sync folder {folder} (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
