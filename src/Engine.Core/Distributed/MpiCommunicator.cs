using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Core.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> over MPI_COMM_WORLD of Open MPI or an MPICH-ABI library (MPICH,
/// MVAPICH, Cray MPICH), whichever launcher started this process (<see cref="MpiLibrarySelection"/>).
/// A process started by <c>mpirun -np N</c> is one of N ranks. <see cref="Initialize"/> refuses, with
/// one clear message, a process that no MPI launcher started, a machine without the launcher's
/// library, or a library that does not match the launcher, rather than let MPI fall back to a
/// one-rank "singleton" job that would silently train alone. Errors inside MPI are
/// fatal to the whole job (MPI's default handler), so a rank that fails takes the others down
/// instead of leaving them waiting in a collective. A rank that neither fails nor answers (stopped,
/// stuck) is caught by <see cref="Timeout"/>: every collective is started non-blocking and polled,
/// and one that waits longer ends the job with MPI_Abort and an error line (MpiCommunicator.Waiting.cs).
/// </summary>
public sealed unsafe partial class MpiCommunicator : ICommunicator
{
    // MPI_THREAD_SERIALIZED (2 in every ABI): the trainer calls MPI from whichever thread runs Fit, one call at a time.
    private const int ThreadSerialized = 2;
    private const int Success = 0;
    private readonly IMpiLibrary _mpi;
    private readonly nint _world;
    private readonly nint _float;
    private readonly nint _double;
    private readonly nint _int64;
    private readonly nint _uint64;
    private readonly nint _sum;
    private readonly nint _min;
    private bool _disposed;

    private MpiCommunicator(IMpiLibrary mpi)
    {
        _mpi = mpi;
        _world = mpi.World;
        _float = mpi.Float;
        _double = mpi.Double;
        _int64 = mpi.Int64;
        _uint64 = mpi.UInt64;
        _sum = mpi.SumOp;
        _min = mpi.MinOp;
        Check(mpi.CommRank(_world, out int rank), "MPI_Comm_rank");
        Check(mpi.CommSize(_world, out int size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>Whether an MPI launcher (mpirun, srun, …) started this process.</summary>
    public static bool LaunchedByMpi => MpiLibrarySelection.LaunchedByMpi;

    /// <summary>The MPI library bound, e.g. "Open MPI, libmpi.so.40".</summary>
    public string Library => $"{_mpi.Name}, {_mpi.FileName}";

    /// <summary>
    /// Initialises MPI (MPI_Init_thread, serialised calls) and returns the world communicator;
    /// a <see cref="ConfigurationException"/> when the process was not started by an MPI launcher,
    /// the launcher's library cannot be loaded or is not the launcher's (<see cref="MpiLibrarySelection"/>:
    /// ENGINE_MPI_LIBRARY=openmpi|mpich overrides the choice). Dispose it to finalise MPI.
    /// </summary>
    public static MpiCommunicator Initialize()
    {
        if (!LaunchedByMpi)
        {
            throw new ConfigurationException("distributed training over MPI needs an MPI launcher: start every rank with 'mpirun -np N engine train … --distributed mpi' (no OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK in the environment)");
        }
        IMpiLibrary mpi = MpiLibrarySelection.Select();
        Check(mpi.Initialized(out int already), "MPI_Initialized");
        if (already == 0)
        {
            Check(mpi.InitThread(ThreadSerialized, out int provided), "MPI_Init_thread");
            if (provided < ThreadSerialized)
            {
                throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"the MPI library provides thread level {provided}; training needs MPI_THREAD_SERIALIZED ({ThreadSerialized})"));
            }
        }
        var communicator = new MpiCommunicator(mpi);
        try
        {
            MpiLibrarySelection.CheckWorldSize(mpi, communicator.Size);
        }
        catch (ConfigurationException)
        {
            communicator.Dispose();
            throw;
        }
        return communicator;
    }

    /// <inheritdoc/>
    public void Sum(Span<double> values)
    {
        fixed (double* p = values)
        {
            nint request;
            Check(_mpi.IallreduceInPlace(p, values.Length, _double, _sum, _world, &request), "MPI_Iallreduce");
            Await(&request, "summing statistics over the ranks");
        }
    }

    /// <inheritdoc/>
    public void Min(Span<long> values)
    {
        fixed (long* p = values)
        {
            nint request;
            Check(_mpi.IallreduceInPlace(p, values.Length, _int64, _min, _world, &request), "MPI_Iallreduce");
            Await(&request, "comparing statistics over the ranks");
        }
    }

    /// <inheritdoc/>
    public ulong[] Gather(ReadOnlySpan<ulong> values)
    {
        var all = new ulong[values.Length * Size];
        fixed (ulong* send = values)
        fixed (ulong* receive = all)
        {
            nint request;
            Check(_mpi.Iallgather(send, values.Length, _uint64, receive, values.Length, _uint64, _world, &request), "MPI_Iallgather");
            Await(&request, "comparing the ranks' configuration hashes");
        }
        return all;
    }

    /// <inheritdoc/>
    public void Exchange(int partner, ReadOnlySpan<float> send, Span<float> receive)
    {
        if (send.Length != receive.Length)
        {
            throw new ArgumentException($"sending {send.Length} values but receiving {receive.Length}", nameof(receive));
        }
        const int Tag = 17;
        fixed (float* s = send)
        fixed (float* r = receive)
        {
            // Non-blocking both ways, awaited with the deadline: a partner that stopped ends the job
            // with an error instead of a hang.
            nint sent, received;
            Check(_mpi.Irecv(r, receive.Length, _float, partner, Tag, _world, &received), "MPI_Irecv");
            Check(_mpi.Isend(s, send.Length, _float, partner, Tag, _world, &sent), "MPI_Isend");
            Await(&received, "exchanging gradient sums with rank " + partner.ToString(CultureInfo.InvariantCulture));
            Await(&sent, "exchanging gradient sums with rank " + partner.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <inheritdoc/>
    public IAsyncExchange StartExchange(int partner, ArraySegment<float> send, ArraySegment<float> receive, int tag)
    {
        if (send.Count != receive.Count)
        {
            throw new ArgumentException($"sending {send.Count} values but receiving {receive.Count}", nameof(receive));
        }
        return new AsyncExchange(this, partner, send, receive, tag);
    }

    /// <inheritdoc/>
    public IAsyncSum CreateSum(float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return new AsyncSum(this, buffer);
    }

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        Console.Error.Flush();
        _mpi.Abort(_world, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is for a library that does
    }

    /// <summary>Finalises MPI (every rank must do so).</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _mpi.Finalize();
        }
    }

    private static void Check(int code, string call)
    {
        if (code != Success)
        {
            throw new EngineException(string.Create(CultureInfo.InvariantCulture, $"{call} failed with MPI error code {code}"));
        }
    }

    // A send and a receive with one partner, their arrays pinned until both have completed.
    private sealed class AsyncExchange : IAsyncExchange
    {
        private readonly MpiCommunicator _owner;
        private readonly string _what;
        private GCHandle _sendPin;
        private GCHandle _receivePin;
        private nint _sent;
        private nint _received;
        private bool _sentDone;
        private bool _receivedDone;

        public AsyncExchange(MpiCommunicator owner, int partner, ArraySegment<float> send, ArraySegment<float> receive, int tag)
        {
            _owner = owner;
            _what = "exchanging gradient sums with rank " + partner.ToString(CultureInfo.InvariantCulture);
            _sendPin = GCHandle.Alloc(send.Array, GCHandleType.Pinned);
            _receivePin = GCHandle.Alloc(receive.Array, GCHandleType.Pinned);
            float* s = (float*)_sendPin.AddrOfPinnedObject() + send.Offset;
            float* r = (float*)_receivePin.AddrOfPinnedObject() + receive.Offset;
            nint sent, received;
            Check(owner._mpi.Irecv(r, receive.Count, owner._float, partner, tag, owner._world, &received), "MPI_Irecv");
            Check(owner._mpi.Isend(s, send.Count, owner._float, partner, tag, owner._world, &sent), "MPI_Isend");
            _sent = sent;
            _received = received;
        }

        public bool Test()
        {
            if (!_receivedDone)
            {
                nint request = _received;
                Check(_owner._mpi.Test(&request, out int done), "MPI_Test");
                _received = request;
                _receivedDone = done != 0;
            }
            if (!_sentDone)
            {
                nint request = _sent;
                Check(_owner._mpi.Test(&request, out int done), "MPI_Test");
                _sent = request;
                _sentDone = done != 0;
            }
            return Release();
        }

        public void Wait()
        {
            if (!_receivedDone)
            {
                nint request = _received;
                _owner.Await(&request, _what);
                _received = request;
                _receivedDone = true;
            }
            if (!_sentDone)
            {
                nint request = _sent;
                _owner.Await(&request, _what);
                _sent = request;
                _sentDone = true;
            }
            Release();
        }

        // Unpins the arrays once MPI no longer reads or writes them.
        private bool Release()
        {
            if (!_sentDone || !_receivedDone)
            {
                return false;
            }
            if (_sendPin.IsAllocated)
            {
                _sendPin.Free();
                _receivePin.Free();
            }
            return true;
        }
    }

    // One bucket's buffer, pinned while the sum exists, and its MPI request.
    private sealed class AsyncSum : IAsyncSum
    {
        private readonly MpiCommunicator _owner;
        private readonly float[] _buffer;
        private GCHandle _pin;
        private nint _request;
        private bool _pending;

        public AsyncSum(MpiCommunicator owner, float[] buffer)
        {
            _owner = owner;
            _buffer = buffer;
            _pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        }

        public void Start()
        {
            nint request;
            Check(_owner._mpi.IallreduceInPlace((void*)_pin.AddrOfPinnedObject(), _buffer.Length, _owner._float, _owner._sum, _owner._world, &request), "MPI_Iallreduce");
            _request = request;
            _pending = true;
        }

        public bool Test()
        {
            if (!_pending)
            {
                return true;
            }
            nint request = _request;
            Check(_owner._mpi.Test(&request, out int done), "MPI_Test");
            _request = request;
            _pending = done == 0;
            return done != 0;
        }

        public void Wait()
        {
            if (!_pending)
            {
                return;
            }
            nint request = _request;
            _owner.Await(&request, "summing gradients");
            _request = request;
            _pending = false;
        }

        public void Dispose()
        {
            Wait();
            if (_pin.IsAllocated)
            {
                _pin.Free();
            }
        }
    }
}
