using System.Diagnostics;
using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Stops two runs writing the same checkpoint: a lock file <c>FILE.lock</c> next to it, created
/// exclusively and holding the owner's process id, deleted on <see cref="Dispose"/>. A lock whose
/// process no longer runs (a run killed with SIGKILL) is stale and taken over.
/// </summary>
public sealed class CheckpointLock : IDisposable
{
    private readonly FileStream _file;

    private CheckpointLock(string path, FileStream file)
    {
        LockPath = path;
        _file = file;
    }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }

    /// <summary>
    /// Takes the lock of <paramref name="checkpointPath"/>; a <see cref="ConfigurationException"/>
    /// naming the other process when a running one holds it.
    /// </summary>
    public static CheckpointLock Acquire(string checkpointPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        string full = Path.GetFullPath(checkpointPath);
        string lockPath = full + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(full) ?? ".");
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var file = new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.DeleteOnClose);
                byte[] pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
                file.Write(pid);
                file.Flush();
                return new CheckpointLock(lockPath, file);
            }
            catch (IOException) when (File.Exists(lockPath) && attempt == 0)
            {
                int? owner = Owner(lockPath);
                if (owner is int pid && IsRunning(pid))
                {
                    throw new ConfigurationException($"checkpoint {full} is being written by another run (process {pid}; lock file {lockPath}): wait for it to finish, or give another --checkpoint");
                }
                File.Delete(lockPath); // stale: its process is gone (or it never wrote an id)
            }
        }
    }

    /// <summary>Releases the lock (the lock file is deleted).</summary>
    public void Dispose() => _file.Dispose();

    private static int? Owner(string lockPath)
    {
        try
        {
            string text = File.ReadAllText(lockPath).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
