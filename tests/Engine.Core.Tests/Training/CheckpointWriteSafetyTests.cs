using System.Globalization;
using System.Text.Json.Nodes;

namespace Engine.Core.Tests.Training;

/// <summary>
/// <see cref="Checkpoint.Write"/> replaces only checkpoints (or nothing), writes through a temporary
/// file created exclusively (a link planted at a predictable name is never followed) and leaves no
/// temporary file behind.
/// </summary>
public sealed class CheckpointWriteSafetyTests
{
    private static Checkpoint Small()
    {
        var state = new StateDictionary();
        state.Set("params/w", new StateEntry(new Shape(3), new float[] { 1, 2, 3 }));
        return new Checkpoint(state, new JsonObject { ["model"] = "tiny" });
    }

    [Fact]
    public void AnExistingForeignFileIsRefusedAndKept()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("notes.txt");
        File.WriteAllText(file, "my notes");
        var error = Assert.Throws<EngineException>(() => Small().Write(file));
        Assert.Equal($"checkpoint {file}: the existing file is not an engine checkpoint (8 bytes, starting with 6D79206E6F746573); refusing to overwrite it (--force replaces it)", error.Message);
        Assert.Equal("my notes", File.ReadAllText(file));
    }

    [Fact]
    public void AForeignFileIsReplacedOnlyWhenAsked()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("notes.txt");
        File.WriteAllText(file, "my notes");
        Small().Write(file, replaceForeignFile: true);
        Assert.Equal(new float[] { 1, 2, 3 }, (float[])Checkpoint.Read(file).State["params/w"].Values);
    }

    [Fact]
    public void AnExistingCheckpointIsReplaced()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("a.ckpt");
        Small().Write(file);
        var state = new StateDictionary();
        state.Set("params/w", new StateEntry(new Shape(1), new float[] { 7 }));
        new Checkpoint(state).Write(file);
        Assert.Equal(new float[] { 7 }, (float[])Checkpoint.Read(file).State["params/w"].Values);
    }

    [Fact]
    public void LinksPlantedAtTheOldTemporaryNameAreNotFollowed()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // creating symbolic links needs a privilege there
        }
        using var folder = new TrainingFixtures.TempFolder();
        string victim = folder.File("victim.txt");
        File.WriteAllText(victim, "precious");
        string file = folder.File("a.ckpt");
        File.CreateSymbolicLink(file + ".tmp", victim);
        Small().Write(file);
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(["a.ckpt", "a.ckpt.tmp", "victim.txt"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheLockRefusesASecondHolderAndIsGoneOnceReleased()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("a.ckpt");
        using (CheckpointLock.Acquire(file))
        {
            var error = Assert.Throws<ConfigurationException>(() => CheckpointLock.Acquire(file));
            Assert.Contains($"process {Environment.ProcessId}", error.Message);
        }
        Assert.False(File.Exists(file + ".lock"));
        using (CheckpointLock.Acquire(file))
        {
            string expected = OperatingSystem.IsLinux() ? $"{Environment.ProcessId} {StartTime(Environment.ProcessId)}\n" : $"{Environment.ProcessId}\n";
            Assert.Equal(expected, File.ReadAllText(file + ".lock"));
        }
    }

    [Fact]
    public void ALockNamingALiveButUnrelatedProcessIsStale()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the start time comes from /proc
        }
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("a.ckpt");
        // A process that runs now under the id a killed run once had: its start time differs from the recorded one.
        using var unrelated = System.Diagnostics.Process.Start("sleep", "60");
        try
        {
            string started = StartTime(unrelated.Id);
            File.WriteAllText(file + ".lock", $"{unrelated.Id} {long.Parse(started, CultureInfo.InvariantCulture) + 1}\n");
            using (CheckpointLock.Acquire(file))
            {
                Assert.StartsWith($"{Environment.ProcessId} ", File.ReadAllText(file + ".lock"));
            }

            // The same process with its own start time (or a lock of the older pid-only form) still holds it.
            foreach (string owner in new[] { $"{unrelated.Id} {started}\n", $"{unrelated.Id}\n" })
            {
                File.WriteAllText(file + ".lock", owner);
                var error = Assert.Throws<ConfigurationException>(() => CheckpointLock.Acquire(file));
                Assert.Contains($"process {unrelated.Id};", error.Message);
            }
        }
        finally
        {
            unrelated.Kill();
        }
    }

    // Field 22 of /proc/PID/stat, counted after the command's closing parenthesis.
    private static string StartTime(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
    }
}
