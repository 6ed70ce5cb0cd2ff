namespace Engine.Core.Distributed;

/// <summary>
/// The MPI calls <see cref="MpiCommunicator"/> makes, over one library's binary interface. MPI fixes
/// the C API but not the ABI: Open MPI's handles are pointers to exported objects, MPICH's (and
/// Intel MPI's, Cray MPICH's, MVAPICH's) are integer constants; MPI_IN_PLACE, MPI_STATUS_IGNORE and
/// the request type differ too. Each ABI has one small binding file (<see cref="OpenMpiLibrary"/>,
/// <see cref="MpichLibrary"/>); handles travel as <see cref="nint"/> here whatever their C type.
/// Every call returns MPI's error code (0 for success).
/// </summary>
internal unsafe interface IMpiLibrary
{
    /// <summary>The library's family as users know it, e.g. "Open MPI".</summary>
    string Name { get; }

    /// <summary>The shared library loaded, e.g. libmpi.so.40.</summary>
    string FileName { get; }

    /// <summary>MPI_COMM_WORLD.</summary>
    nint World { get; }

    /// <summary>MPI_FLOAT.</summary>
    nint Float { get; }

    /// <summary>MPI_DOUBLE.</summary>
    nint Double { get; }

    /// <summary>MPI_INT64_T.</summary>
    nint Int64 { get; }

    /// <summary>MPI_UINT64_T.</summary>
    nint UInt64 { get; }

    /// <summary>MPI_SUM.</summary>
    nint SumOp { get; }

    /// <summary>MPI_MIN.</summary>
    nint MinOp { get; }

    /// <summary>Loads the shared library (once); false with the loader's reason when it is not there.</summary>
    bool TryLoad(out string reason);

    int Initialized(out int flag);

    int InitThread(int required, out int provided);

    int Finalize();

    int CommRank(nint comm, out int rank);

    int CommSize(nint comm, out int size);

    /// <summary>MPI_Iallreduce with MPI_IN_PLACE: <paramref name="buffer"/> is both input and result.</summary>
    int IallreduceInPlace(void* buffer, int count, nint dataType, nint op, nint comm, nint* request);

    int Isend(void* buffer, int count, nint dataType, int destination, int tag, nint comm, nint* request);

    int Irecv(void* buffer, int count, nint dataType, int source, int tag, nint comm, nint* request);

    int Iallgather(void* sendBuffer, int sendCount, nint sendType, void* receiveBuffer, int receiveCount, nint receiveType, nint comm, nint* request);

    /// <summary>MPI_Test with MPI_STATUS_IGNORE.</summary>
    int Test(nint* request, out int flag);

    int Abort(nint comm, int errorCode);
}
