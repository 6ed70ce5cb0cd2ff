using System.Runtime.InteropServices;

namespace Engine.Core.Distributed;

/// <summary>
/// <see cref="IMpiLibrary"/> over MPICH's ABI (MPICH 3.1 and later, Intel MPI, MVAPICH, Cray MPICH:
/// the ABI compatibility initiative). The family ships its library under two names
/// (<see cref="LibraryNames"/>), tried in order: libmpich.so.12 (Debian's and Ubuntu's mpich, Cray
/// MPICH) and libmpi.so.12 (MPICH's own install, Intel MPI, MVAPICH); the one found serves every call
/// (a DllImport resolver maps <see cref="LibraryName"/> to it). Handles and requests are C
/// <c>int</c>s and the predefined handles are constants of MPICH's mpi.h, fixed by the ABI
/// compatibility initiative MPICH shares with its derivatives; MPI_IN_PLACE is <c>(void *) -1</c>
/// and MPI_STATUS_IGNORE <c>(MPI_Status *) 1</c> (not null, as in Open MPI).
/// </summary>
internal sealed unsafe partial class MpichLibrary : IMpiLibrary
{
    public const string LibraryName = "libmpich.so.12";

    /// <summary>The names the MPICH ABI family's library goes by, in the order they are tried.</summary>
    public static readonly string[] LibraryNames = [LibraryName, "libmpi.so.12"];

    // An exported object that only Open MPI has: its 1.10 series also named its library libmpi.so.12.
    private const string OpenMpiSymbol = "ompi_mpi_comm_world";

    private static nint s_resolved;

    private const nint InPlace = -1;
    private const nint StatusIgnore = 1;

    private nint _library;

    public string Name => "MPICH";

    public string FileName { get; private set; } = string.Join(" or ", LibraryNames);

    public nint World => 0x44000000;

    public nint Float => 0x4c00040a;

    public nint Double => 0x4c00080b;

    public nint Int64 => 0x4c00083a;

    public nint UInt64 => 0x4c00083e;

    public nint SumOp => 0x58000003;

    public nint MinOp => 0x58000002;

    public bool TryLoad(out string reason)
    {
        reason = "";
        if (_library != 0)
        {
            return true;
        }
        if (LoadFirst(LibraryNames, TryLoadNative, NotMpichAbi, out _library, out reason) is not string name)
        {
            return false;
        }
        FileName = name;
        if (Interlocked.CompareExchange(ref s_resolved, _library, 0) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(MpichLibrary).Assembly, (library, _, _) => library == LibraryName ? s_resolved : 0);
        }
        return true;
    }

    /// <summary>
    /// The first of <paramref name="names"/> that <paramref name="load"/> opens (0: not there, with
    /// the loader's reason) and <paramref name="refuse"/> does not refuse (its reason, or null; it
    /// releases a library it refuses), with its
    /// handle; null, and every name's reason, when none is usable.
    /// </summary>
    internal static string? LoadFirst(IReadOnlyList<string> names, Func<string, (nint Handle, string Reason)> load, Func<nint, string?> refuse, out nint handle, out string reason)
    {
        var reasons = new List<string>();
        foreach (string name in names)
        {
            (handle, string why) = load(name);
            if (handle != 0 && refuse(handle) is string refused)
            {
                (handle, why) = (0, refused);
            }
            if (handle != 0)
            {
                reason = "";
                return name;
            }
            reasons.Add($"{name}: {why}");
        }
        handle = 0;
        reason = string.Join("; ", reasons);
        return null;
    }

    internal static (nint Handle, string Reason) TryLoadNative(string name)
    {
        nint handle = 0;
        return MpiLibrarySelection.TryLoad(name, ref handle, out string reason) ? (handle, "") : (0, reason);
    }

    internal static string? NotMpichAbi(nint handle)
    {
        if (!NativeLibrary.TryGetExport(handle, OpenMpiSymbol, out _))
        {
            return null;
        }
        NativeLibrary.Free(handle);
        return $"it is Open MPI's (it exports {OpenMpiSymbol}), not of MPICH's ABI";
    }

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
