using System.Runtime.InteropServices;

namespace Engine.Core.Distributed;

/// <summary>
/// <see cref="IMpiLibrary"/> over MPICH's ABI (libmpich.so.12: MPICH 3.1 and later, Debian's mpich;
/// MVAPICH and Cray MPICH ship the same library name and ABI). Handles and requests are C
/// <c>int</c>s and the predefined handles are constants of MPICH's mpi.h, fixed by the ABI
/// compatibility initiative MPICH shares with its derivatives; MPI_IN_PLACE is <c>(void *) -1</c>
/// and MPI_STATUS_IGNORE <c>(MPI_Status *) 1</c> (not null, as in Open MPI).
/// </summary>
internal sealed unsafe partial class MpichLibrary : IMpiLibrary
{
    public const string LibraryName = "libmpich.so.12";

    private const nint InPlace = -1;
    private const nint StatusIgnore = 1;

    private nint _library;

    public string Name => "MPICH";

    public string FileName => LibraryName;

    public nint World => 0x44000000;

    public nint Float => 0x4c00040a;

    public nint Double => 0x4c00080b;

    public nint Int64 => 0x4c00083a;

    public nint UInt64 => 0x4c00083e;

    public nint SumOp => 0x58000003;

    public nint MinOp => 0x58000002;

    public bool TryLoad(out string reason) => MpiLibrarySelection.TryLoad(LibraryName, ref _library, out reason);

    public int Initialized(out int flag) => NativeInitialized(out flag);

    public int InitThread(int required, out int provided) => NativeInitThread(0, 0, required, out provided);

    public int Finalize() => NativeFinalize();

    public int CommRank(nint comm, out int rank) => NativeCommRank((int)comm, out rank);

    public int CommSize(nint comm, out int size) => NativeCommSize((int)comm, out size);

    public int IallreduceInPlace(void* buffer, int count, nint dataType, nint op, nint comm, nint* request)
    {
        int handle;
        int code = NativeIallreduce(InPlace, buffer, count, (int)dataType, (int)op, (int)comm, &handle);
        *request = handle;
        return code;
    }

    public int Isend(void* buffer, int count, nint dataType, int destination, int tag, nint comm, nint* request)
    {
        int handle;
        int code = NativeIsend(buffer, count, (int)dataType, destination, tag, (int)comm, &handle);
        *request = handle;
        return code;
    }

    public int Irecv(void* buffer, int count, nint dataType, int source, int tag, nint comm, nint* request)
    {
        int handle;
        int code = NativeIrecv(buffer, count, (int)dataType, source, tag, (int)comm, &handle);
        *request = handle;
        return code;
    }

    public int Iallgather(void* sendBuffer, int sendCount, nint sendType, void* receiveBuffer, int receiveCount, nint receiveType, nint comm, nint* request)
    {
        int handle;
        int code = NativeIallgather(sendBuffer, sendCount, (int)sendType, receiveBuffer, receiveCount, (int)receiveType, (int)comm, &handle);
        *request = handle;
        return code;
    }

    // MPI_Test sets a completed request to MPI_REQUEST_NULL: the int is copied back for the caller.
    public int Test(nint* request, out int flag)
    {
        int handle = (int)*request;
        int code = NativeTest(&handle, out flag, StatusIgnore);
        *request = handle;
        return code;
    }

    public int Abort(nint comm, int errorCode) => NativeAbort((int)comm, errorCode);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Initialized")]
    private static partial int NativeInitialized(out int flag);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Init_thread")]
    private static partial int NativeInitThread(nint argc, nint argv, int required, out int provided);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Finalize")]
    private static partial int NativeFinalize();

    [LibraryImport(LibraryName, EntryPoint = "MPI_Comm_rank")]
    private static partial int NativeCommRank(int comm, out int rank);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Comm_size")]
    private static partial int NativeCommSize(int comm, out int size);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Iallreduce")]
    private static partial int NativeIallreduce(nint sendBuffer, void* receiveBuffer, int count, int dataType, int op, int comm, int* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Isend")]
    private static partial int NativeIsend(void* buffer, int count, int dataType, int destination, int tag, int comm, int* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Irecv")]
    private static partial int NativeIrecv(void* buffer, int count, int dataType, int source, int tag, int comm, int* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Iallgather")]
    private static partial int NativeIallgather(void* sendBuffer, int sendCount, int sendType, void* receiveBuffer, int receiveCount, int receiveType, int comm, int* request);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Test")]
    private static partial int NativeTest(int* request, out int flag, nint status);

    [LibraryImport(LibraryName, EntryPoint = "MPI_Abort")]
    private static partial int NativeAbort(int comm, int errorCode);
}
