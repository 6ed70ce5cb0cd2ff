using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Core;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>engine train --distributed mpi</c> under MPICH's launcher (Hydra <c>mpiexec.mpich</c>), bound to
/// MPICH's ABI (libmpich.so.12: integer handles): 2 ranks train what one process trains, to the bit
/// with <c>--reduction-shards</c> (the point-to-point exchange, the configuration hashes, the
/// split evaluation's sums) and within the Open MPI test's bounds with gradient buckets
/// (MPI_Iallreduce polled with MPI_Test); and a library that does not match the launcher is refused
/// with one clear line.
/// </summary>
public sealed partial class DistributedMpichTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-mpich-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [MpiRun.MpichFact]
    public void TwoRanksWithReductionShardsWriteWhatOneProcessWrites()
    {
        string[] sharded(string name) => [.. Train(3000, name), "--reduction-shards", "8", "--validation-split", "0.1", "--metrics", Path.Combine(_folder, name + ".csv")];
        // One process without --distributed, under the launcher only for its one compute thread (as each rank has).
        var (code, output, error) = MpiRun.RunWith(MpiRun.Mpich, 1, sharded("single.ckpt"));
        Assert.True(code == 0, error);
        (code, output, error) = MpiRun.RunWith(MpiRun.Mpich, 2, [.. sharded("ranks2.ckpt"), "--distributed", "mpi"]);
        Assert.True(code == 0, error);
        Assert.Contains("ranks     2 (MPICH, libmpich.so.12), 32 examples per rank per step", output, StringComparison.Ordinal);
        Assert.Single(EpochLine().Matches(output)); // rank 0 alone reports
        Checkpoint reference = Checkpoint.Read(Path.Combine(_folder, "single.ckpt"));
        Checkpoint trained = Checkpoint.Read(Path.Combine(_folder, "ranks2.ckpt"));
        Assert.Equal(reference.State.Names, trained.State.Names);
        foreach (string entry in reference.State.Names)
        {
            Assert.True(DistributedTrainingTests.SameBits(reference.State[entry].Values, trained.State[entry].Values), $"{entry} differs from one process's");
        }
        Assert.Equal(DistributedTrainingTests.Scores(Path.Combine(_folder, "single.ckpt.csv")), DistributedTrainingTests.Scores(Path.Combine(_folder, "ranks2.ckpt.csv")));
    }

    [MpiRun.MpichFact]
    public void TwoRanksWithBucketsTrainWhatOneProcessTrains()
    {
        var (code, output, error) = CliRunner.Run(Train(3000, "single.ckpt"));
        Assert.True(code == 0, error);
        double single = FinalAccuracy(output);
        Assert.True(single > 0.7, $"one process reached only {single} test accuracy");
        (code, output, error) = MpiRun.RunWith(MpiRun.Mpich, 2, [.. Train(3000, "ranks2.ckpt"), "--distributed", "mpi"]);
        Assert.True(code == 0, error);
        Assert.Contains("gradients summed in buckets during backward", output, StringComparison.Ordinal);
        double accuracy = FinalAccuracy(output);
        Assert.True(Math.Abs(accuracy - single) <= 0.003, $"2 MPICH ranks: test accuracy {accuracy}, one process {single}");
        Checkpoint reference = Checkpoint.Read(Path.Combine(_folder, "single.ckpt"));
        Checkpoint trained = Checkpoint.Read(Path.Combine(_folder, "ranks2.ckpt"));
        foreach (string entry in reference.State.Names.Where(n => n.StartsWith(ModelState.ParameterPrefix, StringComparison.Ordinal)))
        {
            double difference = DistributedTrainingTests.RelativeDifference((float[])trained.State[entry].Values, (float[])reference.State[entry].Values);
            Assert.True(difference < 1e-3, $"2 MPICH ranks: {entry} differs from one process's by {difference:E2} (relative L2)");
        }
    }

    [MpiRun.MpichFact]
    public void OpenMpisLibraryUnderMpichsLauncherIsRefused()
    {
        var (code, _, error) = MpiRun.RunWith(MpiRun.Mpich, 2, [.. Train(500, "a.ckpt"), "--distributed", "mpi"], ("ENGINE_MPI_LIBRARY", "openmpi"));
        Assert.NotEqual(0, code);
        Assert.Contains("error: the launcher started 2 ranks (PMI_SIZE=2) but Open MPI's library libmpi.so.40 sees 1: the launcher and the library are of different MPI families; start the ranks with Open MPI's own launcher or set ENGINE_MPI_LIBRARY to the launcher's (openmpi or mpich)", error, StringComparison.Ordinal);
    }

    [MpiRun.Fact]
    public void MpichAskedForUnderOpenMpisLauncherIsRefused()
    {
        var (code, output, error) = MpiRun.RunWith(MpiRun.Launcher, 1, [.. Train(500, "a.ckpt"), "--distributed", "mpi"], ("ENGINE_MPI_LIBRARY", "MPICH"));
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal); // refused before training
        Assert.Equal("error: ENGINE_MPI_LIBRARY=MPICH asks for MPICH but Open MPI's mpirun started this rank (OMPI_COMM_WORLD_SIZE is set): start the ranks with MPICH's launcher (mpiexec.mpich on Debian) or unset ENGINE_MPI_LIBRARY", FirstLine(error));

        (code, _, error) = MpiRun.RunWith(MpiRun.Launcher, 1, [.. Train(500, "a.ckpt"), "--distributed", "mpi"], ("ENGINE_MPI_LIBRARY", "lam"));
        Assert.NotEqual(0, code);
        Assert.Equal("error: ENGINE_MPI_LIBRARY must be 'openmpi' or 'mpich' (the MPI library's ABI), got 'lam'", FirstLine(error));
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private string[] Train(int limit, string checkpoint) =>
    [
        "train", "--model", "lenet5", "--dataset", "mnist", "--data", RepoPaths.Mnist, "--limit", limit.ToString(CultureInfo.InvariantCulture),
        "--epochs", "1", "--batch-size", "64", "--optimizer", "adam", "--lr", "0.002",
        "--seed", "3", "--no-progress", "--checkpoint", Path.Combine(_folder, checkpoint),
    ];

    private static double FinalAccuracy(string output) =>
        double.Parse(FinalLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^final test accuracy ([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex FinalLine();

    [GeneratedRegex(@"^epoch 1/1 ", RegexOptions.Multiline)]
    private static partial Regex EpochLine();
}
