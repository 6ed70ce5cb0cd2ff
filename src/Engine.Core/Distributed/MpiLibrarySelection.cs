using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Core.Distributed;

/// <summary>
/// Picks the MPI library whose ABI to bind: the one of the launcher that started this process
/// (Open MPI's mpirun puts OMPI_COMM_WORLD_SIZE into each rank's environment, PMIx launchers
/// PMIX_RANK; MPICH's Hydra mpiexec and Slurm's PMI-2 put PMI_RANK and PMI_SIZE), unless
/// <see cref="OverrideVariable"/> names it. A library of the other family would not see the
/// launcher's other ranks: it would start a one-rank job in every process, each training alone,
/// so a choice that contradicts the launcher is refused here and a world size that differs from
/// the launcher's count is refused after MPI_Init (<see cref="CheckWorldSize"/>).
/// </summary>
internal static class MpiLibrarySelection
{
    /// <summary>The environment variable that names the library: <c>openmpi</c> or <c>mpich</c>.</summary>
    public const string OverrideVariable = "ENGINE_MPI_LIBRARY";

    private const string OpenMpiSize = "OMPI_COMM_WORLD_SIZE";
    private const string PmixRank = "PMIX_RANK";
    private const string PmiSize = "PMI_SIZE";
    private const string PmiRank = "PMI_RANK";

    /// <summary>Variables that MPI launchers put into each rank's environment (Open MPI, PMIx, Slurm/PMI, Hydra).</summary>
    public static readonly string[] LauncherVariables = [OpenMpiSize, PmixRank, PmiSize, PmiRank];

    /// <summary>Whether an MPI launcher (mpirun, mpiexec, srun, …) started this process.</summary>
    public static bool LaunchedByMpi => LauncherVariables.Any(v => Variable(v) is not null);

    /// <summary>The loaded library for this process, or a <see cref="ConfigurationException"/> saying why none fits.</summary>
    public static IMpiLibrary Select()
    {
        bool openMpiLauncher = Variable(OpenMpiSize) is not null || Variable(PmixRank) is not null;
        string? chosen = Variable(OverrideVariable);
        IMpiLibrary library = chosen?.ToLowerInvariant() switch
        {
            null => openMpiLauncher ? new OpenMpiLibrary() : new MpichLibrary(),
            "openmpi" => new OpenMpiLibrary(),
            "mpich" => new MpichLibrary(),
            _ => throw new ConfigurationException($"{OverrideVariable} must be 'openmpi' or 'mpich' (the MPI library's ABI), got '{chosen}'"),
        };
        if (library is MpichLibrary && Variable(OpenMpiSize) is not null)
        {
            throw new ConfigurationException($"{OverrideVariable}={chosen} asks for MPICH but Open MPI's mpirun started this rank ({OpenMpiSize} is set): start the ranks with MPICH's launcher (mpiexec.mpich on Debian) or unset {OverrideVariable}");
        }
        if (!library.TryLoad(out string reason))
        {
            string launcher = openMpiLauncher ? $"Open MPI's mpirun ({(Variable(OpenMpiSize) is null ? PmixRank : OpenMpiSize)} is set)" : $"an MPICH launcher ({PmiRank} is set)";
            string install = library is OpenMpiLibrary ? "apt-get install openmpi-bin" : "apt-get install mpich";
            string why = chosen is null ? $"this rank was started by {launcher}" : $"{OverrideVariable}={chosen}";
            throw new ConfigurationException($"distributed training over MPI needs {library.Name}'s library {library.FileName} ({why}; Debian/Ubuntu: {install}): {reason}");
        }
        return library;
    }

    /// <summary>
    /// Refuses a world that MPI_Init gave another size than the launcher started: the library is
    /// not the launcher's (each process became a job of its own).
    /// </summary>
    public static void CheckWorldSize(IMpiLibrary library, int size)
    {
        string name = Variable(OpenMpiSize) is not null ? OpenMpiSize : PmiSize;
        if (int.TryParse(Variable(name), NumberStyles.None, CultureInfo.InvariantCulture, out int launched) && launched != size)
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"the launcher started {launched} ranks ({name}={launched}) but {library.Name}'s library {library.FileName} sees {size}: the launcher and the library are of different MPI families; start the ranks with {library.Name}'s own launcher or set {OverrideVariable} to the launcher's (openmpi or mpich)"));
        }
    }

    /// <summary>Loads <paramref name="name"/> once into <paramref name="handle"/>; false with the loader's reason when it is not there.</summary>
    public static bool TryLoad(string name, ref nint handle, out string reason)
    {
        reason = "";
        if (handle != 0)
        {
            return true;
        }
        try
        {
            handle = NativeLibrary.Load(name);
            return true;
        }
        catch (DllNotFoundException e)
        {
            reason = e.Message;
            return false;
        }
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name);
}
