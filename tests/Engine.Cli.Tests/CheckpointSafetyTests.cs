using System.Globalization;
using Engine.Core;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// Checkpoints never destroy what is not theirs: a foreign file (or a link to one) at the checkpoint
/// path is left as it was unless --force; a running run's lock stops a second one at start; a stale
/// lock is taken over; --resume refuses settings that would not continue the same run.
/// </summary>
public sealed class CheckpointSafetyTests : IDisposable
{
    private const string Foreign = "epoch,loss\n1,0.5\n";
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-ckpt-safety-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string[] Train(params string[] extra) =>
        ["train", "--data", RepoPaths.Mnist, "--limit", "200", "--epochs", "1", "--no-progress", .. extra];

    [Fact]
    public void AForeignFileAtTheCheckpointPathIsLeftUntouched()
    {
        string path = Path.Combine(_folder, "metrics.csv");
        File.WriteAllText(path, Foreign);
        string error = ErrorBoundaryTests.OneError(Train("--checkpoint", path));
        Assert.Equal($"error: --checkpoint '{path}': the existing file is not an engine checkpoint (17 bytes, starting with 65706F63682C6C6F); refusing to overwrite it (--force replaces it)", error);
        Assert.Equal(Foreign, File.ReadAllText(path));
    }

    [Fact]
    public void ALinkToAForeignFileIsNotFollowed()
    {
        string victim = Path.Combine(_folder, "victim.csv");
        File.WriteAllText(victim, Foreign);
        string link = Path.Combine(_folder, "run.ckpt");
        File.CreateSymbolicLink(link, victim);
        string error = ErrorBoundaryTests.OneError(Train("--checkpoint", link));
        Assert.Contains("is not an engine checkpoint", error);
        Assert.Equal(Foreign, File.ReadAllText(victim));
    }

    [Fact]
    public void ForceReplacesTheForeignFileWithACheckpoint()
    {
        string path = Path.Combine(_folder, "old.bin");
        File.WriteAllText(path, Foreign);
        var (code, _, error) = CliRunner.Run(Train("--checkpoint", path, "--force"));
        Assert.True(code == 0, error);
        Assert.Equal(1, Checkpoint.Read(path).Metadata["trainer"]!["completed_epochs"]!.GetValue<int>());
        Assert.Equal(["old.bin"], Directory.GetFiles(_folder).Select(Path.GetFileName)); // no temporary or lock file left
    }

    [Fact]
    public void ASecondRunOnTheSameCheckpointRefusesAtStartNamingTheFirst()
    {
        string path = Path.Combine(_folder, "shared.ckpt");
        using CheckpointLock first = CheckpointLock.Acquire(path); // a running process holds it: this one
        string error = ErrorBoundaryTests.OneError(Train("--checkpoint", path));
        Assert.Equal($"error: checkpoint {path} is being written by another run (process {Environment.ProcessId}; lock file {path}.lock): wait for it to finish, or give another --checkpoint", error);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AStaleLockOfAProcessThatIsGoneIsTakenOver()
    {
        string path = Path.Combine(_folder, "stale.ckpt");
        File.WriteAllText(path + ".lock", int.MaxValue.ToString(CultureInfo.InvariantCulture) + "\n"); // no such process
        var (code, _, error) = CliRunner.Run(Train("--checkpoint", path));
        Assert.True(code == 0, error);
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(path + ".lock"));
    }

    [Fact]
    public void ResumingAFinishedRunSaysNothingWasTrainedOrWritten()
    {
        string path = Path.Combine(_folder, "done.ckpt");
        var (code, _, first) = CliRunner.Run(Train("--checkpoint", path));
        Assert.True(code == 0, first);
        DateTime written = File.GetLastWriteTimeUtc(path);
        var (again, output, error) = CliRunner.Run(Train("--resume", path));
        Assert.True(again == 0, error);
        Assert.Contains("nothing to train: the checkpoint already holds 1 of 1 epoch(s) (a larger --epochs goes on); nothing was written", output);
        Assert.DoesNotContain("\ncheckpoint ", output); // no claim of a checkpoint written
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void AllowChangesResumesWithANoteForEachDifference()
    {
        string path = Path.Combine(_folder, "changes.ckpt");
        var (code, _, first) = CliRunner.Run(Train("--checkpoint", path));
        Assert.True(code == 0, first);
        var (again, output, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--limit", "150", "--epochs", "2", "--no-progress", "--resume", path, "--batch-size", "32", "--allow-changes");
        Assert.True(again == 0, error);
        Assert.Contains("changed   training examples (--limit, --validation-split): 200 in the checkpoint, 150 now (--allow-changes: the run no longer continues exactly where it stopped)", output);
        Assert.Contains("changed   --batch-size: 64 in the checkpoint, 32 now", output);
        Assert.Contains("epoch 2/2", output);
    }

    [Theory]
    [InlineData("--batch-size", "32", "--batch-size 64 but this run has 32")]
    [InlineData("--limit", "150", "training examples (--limit, --validation-split) 200 but this run has 150")]
    [InlineData("--model", "lenet5", "--model mlp but this run has lenet5")]
    public void ResumeRefusesADifferentSettingNamingBothValues(string option, string value, string expected)
    {
        string path = Path.Combine(_folder, "resume.ckpt");
        var (code, _, first) = CliRunner.Run(Train("--checkpoint", path));
        Assert.True(code == 0, first);
        string[] resume = ["train", "--data", RepoPaths.Mnist, "--limit", "200", "--epochs", "2", "--no-progress", "--resume", path];
        int given = Array.IndexOf(resume, option);
        string[] args = given >= 0 ? [.. resume[..(given + 1)], value, .. resume[(given + 2)..]] : [.. resume, option, value];
        string error = ErrorBoundaryTests.OneError(args);
        string advice = option == "--model"
            ? "its weights belong to that model (give it, or start afresh with --weights)"
            : "resuming would not continue the same run (give the same settings, --allow-changes, or start afresh with --weights)";
        Assert.Equal($"error: --resume '{path}': the checkpoint was trained with {expected}; {advice}", error);
    }
}
