using System.Runtime.InteropServices;

namespace Engine.Core.Distributed;

/// <summary>
/// <see cref="IMpiLibrary"/> over Open MPI's shared library (libmpi.so.40: Open MPI 3 to 5; Debian's
/// openmpi-bin). Open MPI's handles are pointers to global objects (MPI_COMM_WORLD is
/// <c>&amp;ompi_mpi_comm_world</c>, MPI_FLOAT is <c>&amp;ompi_mpi_float</c>, …), so they are read as
/// exported symbols' addresses; requests are pointers too.
/// </summary>
internal sealed unsafe partial class OpenMpiLibrary : IMpiLibrary
{
    public const string LibraryName = "libmpi.so.40";

    // Open MPI defines MPI_IN_PLACE as (void *) 1 and MPI_STATUS(ES)_IGNORE as null.
    private const nint InPlace = 1;
    private const nint StatusIgnore = 0;

    private nint _library;

    public string Name => "Open MPI";

    public string FileName => LibraryName;

    public nint World => Handle("ompi_mpi_comm_world");

    public nint Float => Handle("ompi_mpi_float");

    public nint Double => Handle("ompi_mpi_double");

    public nint Int64 => Handle("ompi_mpi_int64_t");

    public nint UInt64 => Handle("ompi_mpi_uint64_t");

    public nint SumOp => Handle("ompi_mpi_op_sum");

    public nint MinOp => Handle("ompi_mpi_op_min");

    public bool TryLoad(out string reason) => MpiLibrarySelection.TryLoad(LibraryName, ref _library, out reason);

    public int Initialized(out int flag) => NativeInitialized(out flag);

    public int InitThread(int required, out int provided) => NativeInitThread(0, 0, required, out provided);

    public int Finalize() => NativeFinalize();

    public int CommRank(nint comm, out int rank) => NativeCommRank(comm, out rank);

    public int CommSize(nint comm, out int size) => NativeCommSize(comm, out size);

    public int IallreduceInPlace(void* buffer, int count, nint dataType, nint op, nint comm, nint* request) =>
        NativeIallreduce(InPlace, buffer, count, dataType, op, comm, request);

    public int Isend(void* buffer, int count, nint dataType, int destination, int tag, nint comm, nint* request) =>
        NativeIsend(buffer, count, dataType, destination, tag, comm, request);

    public int Irecv(void* buffer, int count, nint dataType, int source, int tag, nint comm, nint* request) =>
        NativeIrecv(buffer, count, dataType, source, tag, comm, request);

    public int Iallgather(void* sendBuffer, int sendCount, nint sendType, void* receiveBuffer, int receiveCount, nint receiveType, nint comm, nint* request) =>
        NativeIallgather(sendBuffer, sendCount, sendType, receiveBuffer, receiveCount, receiveType, comm, request);

    public int Test(nint* request, out int flag) => NativeTest(request, out flag, StatusIgnore);

    public int Abort(nint comm, int errorCode) => NativeAbort(comm, errorCode);

    // The address of one of Open MPI's predefined handle objects, e.g. ompi_mpi_comm_world.
    private nint Handle(string symbol) => NativeLibrary.GetExport(_library, symbol);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Initialized")]
    private static partial int NativeInitialized(out int flag);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Init_thread")]
    private static partial int NativeInitThread(nint argc, nint argv, int required, out int provided);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Finalize")]
    private static partial int NativeFinalize();

    [LibraryImport(LibraryName, EntryPoint = "MPI_Comm_rank")]
    private static partial int NativeCommRank(nint comm, out int rank);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Comm_size")]
    private static partial int NativeCommSize(nint comm, out int size);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Iallreduce")]
    private static partial int NativeIallreduce(nint sendBuffer, void* receiveBuffer, int count, nint dataType, nint op, nint comm, nint* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Isend")]
    private static partial int NativeIsend(void* buffer, int count, nint dataType, int destination, int tag, nint comm, nint* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Irecv")]
    private static partial int NativeIrecv(void* buffer, int count, nint dataType, int source, int tag, nint comm, nint* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Iallgather")]
    private static partial int NativeIallgather(void* sendBuffer, int sendCount, nint sendType, void* receiveBuffer, int receiveCount, nint receiveType, nint comm, nint* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Test")]
    private static partial int NativeTest(nint* request, out int flag, nint status);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Abort")]
    private static partial int NativeAbort(nint comm, int errorCode);
}
