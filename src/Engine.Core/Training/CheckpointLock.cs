using System.Diagnostics;
using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Stops two runs writing the same checkpoint: a lock file <c>FILE.lock</c> next to it, created
/// exclusively and holding the owner's process id, deleted on <see cref="Dispose"/>. A lock whose
/// process no longer runs (a run killed with SIGKILL) is stale and taken over. On Linux the file also
/// holds the process's start time (field 22 of <c>/proc/PID/stat</c>), so a process id the system has
/// since given to an unrelated process does not look like the owner still running.
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
                string owner = StartTime(Environment.ProcessId) is string started ? $"{Environment.ProcessId} {started}" : $"{Environment.ProcessId}";
                byte[] pid = System.Text.Encoding.ASCII.GetBytes(owner + "\n");
                file.Write(pid);
                file.Flush();
                return new CheckpointLock(lockPath, file);
            }
            catch (IOException) when (File.Exists(lockPath) && attempt == 0)
            {
                (int? owner, string? started) = Owner(lockPath);
                if (owner is int pid && IsRunning(pid) && (started is null || StartTime(pid) is not string now || now == started))
                {
                    throw new ConfigurationException($"checkpoint {full} is being written by another run (process {pid}; lock file {lockPath}): wait for it to finish, or give another --checkpoint");
                }
                File.Delete(lockPath); // stale: its process is gone (or it never wrote an id)
            }
        }
    }

    /// <summary>Releases the lock (the lock file is deleted).</summary>
    public void Dispose() => _file.Dispose();

    // "PID" or "PID STARTTIME"; (null, null) when unreadable.
    private static (int? Pid, string? Started) Owner(string lockPath)
    {
        try
        {
            string[] words = File.ReadAllText(lockPath).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int? pid = words.Length > 0 && int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out int id) ? id : null;
            return (pid, words.Length > 1 ? words[1] : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// When process <paramref name="pid"/> started, in clock ticks since boot (Linux: field 22 of
    /// <c>/proc/PID/stat</c>); null where there is no /proc or no such process.
    /// </summary>
    private static string? StartTime(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // "PID (COMMAND) STATE PPID …": the command may hold spaces and parentheses, so fields are
            // counted after its last ')'; STATE is field 3, so the start time (22) is the 20th after it.
            string[] fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 19 ? fields[19] : null;
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
