using System.Globalization;
using Engine.Core.Distributed;

namespace Engine.Cli;

/// <summary>
/// What <c>engine train --nproc N</c> tells each process it starts, through the environment (as
/// torchrun's RANK, WORLD_SIZE and LOCAL_RANK): <see cref="RankVariable"/>, <see cref="SizeVariable"/>,
/// the NCCL group id the launcher made (<see cref="GroupIdVariable"/>, hexadecimal) and
/// <see cref="LocalRankVariable"/>, from which the cuDNN backend picks the GPU (the local rank modulo
/// the GPUs present, as it does under mpirun). A rank also watches its launcher: its standard input is
/// a pipe from it, which reads end-of-file once the launcher has ended, however it ended (even
/// killed), and the rank then ends too instead of waiting in a collective for ranks that are gone.
/// </summary>
internal sealed record LaunchedRank(int Rank, int Size, byte[] GroupId)
{
    public const string RankVariable = "ENGINE_DISTRIBUTED_RANK";
    public const string SizeVariable = "ENGINE_DISTRIBUTED_SIZE";
    public const string GroupIdVariable = "ENGINE_DISTRIBUTED_GROUP_ID";
    public const string LocalRankVariable = "ENGINE_LOCAL_RANK";

    /// <summary>This process's rank when a launcher started it; null otherwise.</summary>
    public static LaunchedRank? FromEnvironment(Func<string, string?>? variable = null)
    {
        variable ??= System.Environment.GetEnvironmentVariable;
        string? id = variable(GroupIdVariable);
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }
        int size = Number(variable(SizeVariable), SizeVariable, 1);
        int rank = Number(variable(RankVariable), RankVariable, 0);
        if (rank >= size)
        {
            throw new ConfigurationException($"{RankVariable}={rank} is not a rank of {SizeVariable}={size} ranks");
        }
        try
        {
            return new LaunchedRank(rank, size, Convert.FromHexString(id));
        }
        catch (FormatException)
        {
            throw new ConfigurationException($"{GroupIdVariable} must be the launcher's group id in hexadecimal, got '{id}'");
        }
    }

    /// <summary>The variables of rank <paramref name="rank"/> of <paramref name="size"/> in group <paramref name="groupId"/>.</summary>
    public static IEnumerable<(string Name, string Value)> VariablesFor(int rank, int size, byte[] groupId) =>
    [
        (RankVariable, rank.ToString(CultureInfo.InvariantCulture)),
        (SizeVariable, size.ToString(CultureInfo.InvariantCulture)),
        (LocalRankVariable, rank.ToString(CultureInfo.InvariantCulture)),
        (GroupIdVariable, Convert.ToHexString(groupId)),
    ];

    /// <summary>The communicator of this rank; its <c>--nproc</c> must be the launcher's rank count.</summary>
    public DeviceCommunicator Join(int? processes)
    {
        if (processes != Size)
        {
            throw new ConfigurationException($"this process is rank {Rank} of {Size} started by 'engine train --nproc {Size}', but its own --nproc is {processes?.ToString(CultureInfo.InvariantCulture) ?? "absent"}: start the ranks with --nproc only, not by hand");
        }
        return new DeviceCommunicator(Rank, Size, GroupId);
    }

    /// <summary>
    /// Ends this process (exit 1, one line) once the launcher's pipe on standard input closes: the
    /// launcher has ended and no longer ends this rank when another one fails.
    /// </summary>
    public void WatchLauncher(TextWriter error)
    {
        var watcher = new Thread(() =>
        {
            using Stream input = Console.OpenStandardInput();
            var buffer = new byte[256];
            try
            {
                while (input.Read(buffer) > 0)
                {
                    // The launcher writes nothing: anything read is ignored.
                }
            }
            catch (IOException)
            {
                // A broken pipe means the same: the launcher is gone.
            }
            error.WriteLine($"error: rank {Rank} of {Size}: the launching 'engine train --nproc' process has ended; this rank stops too");
            error.Flush();
            Environment.Exit(1);
        })
        {
            IsBackground = true,
            Name = "launcher watch",
        };
        watcher.Start();
    }

    private static int Number(string? text, string name, int least) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= least
            ? value
            : throw new ConfigurationException($"{name} must be an integer ≥ {least} (set by 'engine train --nproc'), got '{text}'");
}
