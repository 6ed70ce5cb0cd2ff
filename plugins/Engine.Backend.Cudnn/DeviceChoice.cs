using System.Globalization;

namespace Engine.Backend.Cudnn;

/// <summary>
/// Which GPU this process opens: <see cref="DeviceVariable"/> when set; else, in a process an MPI
/// launcher started (one process per GPU, as <c>--distributed nccl</c> runs), its rank on this
/// machine modulo the device count (ENGINE_LOCAL_RANK of the ranks <c>engine train --nproc</c>
/// starts, Open MPI's OMPI_COMM_WORLD_LOCAL_RANK, MPICH's MPI_LOCALRANKID, Slurm's SLURM_LOCALID), so
/// that the ranks of a machine spread over its GPUs; else device 0.
/// </summary>
internal static unsafe class DeviceChoice
{
    /// <summary>The device index to open (0, 1, …), overriding the choice by local rank.</summary>
    internal const string DeviceVariable = "ENGINE_CUDA_DEVICE";

    private static readonly string[] LocalRankVariables = ["ENGINE_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"];

    /// <summary>The device for this process (the CUDA libraries are loaded).</summary>
    public static int ForThisProcess()
    {
        string? chosen = Environment.GetEnvironmentVariable(DeviceVariable);
        if (!string.IsNullOrEmpty(chosen))
        {
            return int.TryParse(chosen, NumberStyles.None, CultureInfo.InvariantCulture, out int device)
                ? device
                : throw new BackendException($"{DeviceVariable}={chosen}: give a device index (0, 1, …)");
        }
        foreach (string name in LocalRankVariables)
        {
            if (int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out int localRank))
            {
                int count;
                return ShimNative.ecud_device_count(&count) == 0 && count > 0 ? localRank % count : 0;
            }
        }
        return 0;
    }
}
