using Engine.Core.Distributed;

namespace Engine.Cli;

/// <summary>
/// The communicator <c>--distributed</c> asks for: MPI's, or NCCL's over MPI, or NCCL's alone (ranks
/// started by <c>--nproc</c>, <see cref="LaunchedRank"/>; or one rank without a launcher).
/// </summary>
internal static class DistributedGroup
{
    /// <summary>Null when not distributed; <see cref="DeviceCommunicator"/> for nccl (joined to the backend later).</summary>
    public static ICommunicator? Initialize(TrainSettings settings, TextWriter error)
    {
        switch (settings.Distributed)
        {
            case null:
                return null;
            case "nccl" when LaunchedRank.FromEnvironment() is { } launched:
                DeviceCommunicator rank = launched.Join(settings.Processes);
                launched.WatchLauncher(error);
                return rank;
            case "nccl":
                return DeviceCommunicator.Initialize(settings.DistributedTimeout);
            default:
                MpiCommunicator mpi = MpiCommunicator.Initialize();
                mpi.Timeout = settings.DistributedTimeout;
                return mpi;
        }
    }

    /// <summary>
    /// The group whose other processes a failure must stop: none for NCCL's one rank without a
    /// launcher (its failures are reported as a single process's are).
    /// </summary>
    public static ICommunicator? AcrossProcesses(ICommunicator? group) => group is DeviceCommunicator { Host: null, LaunchedWithGroupId: false } ? null : group;

    /// <summary>The libraries for the "ranks" line, e.g. "Open MPI, libmpi.so.40".</summary>
    public static string Describe(ICommunicator group) => group switch
    {
        MpiCommunicator mpi => mpi.Library,
        DeviceCommunicator device => device.Library,
        _ => "MPI",
    };
}
