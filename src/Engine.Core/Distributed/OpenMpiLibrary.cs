using System.Runtime.InteropServices;

namespace Engine.Core.Distributed;

/// <summary>
/// The few MPI calls data-parallel training makes, bound to Open MPI's shared library
/// (libmpi.so.40: Open MPI 3 to 5; Debian's openmpi-bin). Open MPI's handles are pointers to
/// global objects (MPI_COMM_WORLD is <c>&amp;ompi_mpi_comm_world</c>, MPI_FLOAT is
/// <c>&amp;ompi_mpi_float</c>, …), so they are read as exported symbols' addresses; MPICH and its
/// derivatives use integer handles and another soname, and are not bound here.
/// </summary>
internal static unsafe partial class OpenMpiLibrary
{
    public const string LibraryName = "libmpi.so.40";

    // MPI_THREAD_SERIALIZED: the trainer calls MPI from whichever thread runs Fit, one call at a time.
    public const int ThreadSerialized = 2;
    public const int Success = 0;

    // Open MPI defines MPI_IN_PLACE as (void *) 1 and MPI_STATUS(ES)_IGNORE as null.
    public static readonly nint InPlace = 1;

    private static nint s_library;

    /// <summary>Loads the library (once); false with the loader's reason when it is not there.</summary>
    public static bool TryLoad(out string reason)
    {
        reason = "";
        if (s_library != 0)
        {
            return true;
        }
        try
        {
            s_library = NativeLibrary.Load(LibraryName);
            return true;
        }
        catch (DllNotFoundException e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The address of one of Open MPI's predefined handle objects, e.g. <c>ompi_mpi_comm_world</c>.</summary>
    public static nint Handle(string symbol) => NativeLibrary.GetExport(s_library, symbol);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Initialized")]
    public static partial int Initialized(out int flag);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Init_thread")]
    public static partial int InitThread(nint argc, nint argv, int required, out int provided);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Finalize")]
    public static partial int Finalize();

    [LibraryImport(LibraryName, EntryPoint = "MPI_Comm_rank")]
    public static partial int CommRank(nint comm, out int rank);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Comm_size")]
    public static partial int CommSize(nint comm, out int size);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Iallreduce")]
    public static partial int Iallreduce(nint sendBuffer, void* receiveBuffer, int count, nint dataType, nint op, nint comm, nint* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Isend")]
    public static partial int Isend(void* buffer, int count, nint dataType, int destination, int tag, nint comm, nint* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Irecv")]
    public static partial int Irecv(void* buffer, int count, nint dataType, int source, int tag, nint comm, nint* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Iallgather")]
    public static partial int Iallgather(void* sendBuffer, int sendCount, nint sendType, void* receiveBuffer, int receiveCount, nint receiveType, nint comm, nint* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Test")]
    public static partial int Test(nint* request, out int flag, nint status);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Abort")]
    public static partial int Abort(nint comm, int errorCode);
}
