using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Core.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> over MPI_COMM_WORLD of Open MPI. A process started by
/// <c>mpirun -np N</c> is one of N ranks. <see cref="Initialize"/> refuses, with one clear message,
/// a process that no MPI launcher started or a machine without Open MPI, rather than let MPI
/// fall back to a one-rank "singleton" job that would silently train alone. Errors inside MPI are
/// fatal to the whole job (MPI's default handler), so a rank that fails takes the others down
/// instead of leaving them waiting in a collective. A rank that neither fails nor answers (stopped,
/// stuck) is caught by <see cref="Timeout"/>: every collective is started non-blocking and polled,
/// and one that waits longer ends the job with MPI_Abort and an error line (MpiCommunicator.Waiting.cs).
/// </summary>
public sealed unsafe partial class MpiCommunicator : ICommunicator
{
    // Variables that MPI launchers put into each rank's environment (Open MPI, PMIx, Slurm/PMI, Hydra).
    private static readonly string[] s_launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"];
    private readonly nint _world;
    private readonly nint _float;
    private readonly nint _double;
    private readonly nint _int64;
    private readonly nint _uint64;
    private readonly nint _sum;
    private readonly nint _min;
    private bool _disposed;

    private MpiCommunicator()
    {
        _world = OpenMpiLibrary.Handle("ompi_mpi_comm_world");
        _float = OpenMpiLibrary.Handle("ompi_mpi_float");
        _double = OpenMpiLibrary.Handle("ompi_mpi_double");
        _int64 = OpenMpiLibrary.Handle("ompi_mpi_int64_t");
        _uint64 = OpenMpiLibrary.Handle("ompi_mpi_uint64_t");
        _sum = OpenMpiLibrary.Handle("ompi_mpi_op_sum");
        _min = OpenMpiLibrary.Handle("ompi_mpi_op_min");
        Check(OpenMpiLibrary.CommRank(_world, out int rank), "MPI_Comm_rank");
        Check(OpenMpiLibrary.CommSize(_world, out int size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>Whether an MPI launcher (mpirun, srun, …) started this process.</summary>
    public static bool LaunchedByMpi => s_launcherVariables.Any(v => Environment.GetEnvironmentVariable(v) is not null);

    /// <summary>
    /// Initialises MPI (MPI_Init_thread, serialised calls) and returns the world communicator;
    /// a <see cref="ConfigurationException"/> when the process was not started by an MPI launcher
    /// or Open MPI's library cannot be loaded. Dispose it to finalise MPI.
    /// </summary>
    public static MpiCommunicator Initialize()
    {
        if (!LaunchedByMpi)
        {
            throw new ConfigurationException("distributed training over MPI needs an MPI launcher: start every rank with 'mpirun -np N engine train … --distributed mpi' (no OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK in the environment)");
        }
        if (!OpenMpiLibrary.TryLoad(out string reason))
        {
            throw new ConfigurationException($"distributed training over MPI needs Open MPI's library {OpenMpiLibrary.LibraryName} (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev): {reason}");
        }
        Check(OpenMpiLibrary.Initialized(out int already), "MPI_Initialized");
        if (already == 0)
        {
            Check(OpenMpiLibrary.InitThread(0, 0, OpenMpiLibrary.ThreadSerialized, out int provided), "MPI_Init_thread");
            if (provided < OpenMpiLibrary.ThreadSerialized)
            {
                throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"the MPI library provides thread level {provided}; training needs MPI_THREAD_SERIALIZED ({OpenMpiLibrary.ThreadSerialized})"));
            }
        }
        return new MpiCommunicator();
    }

    /// <inheritdoc/>
    public void Sum(Span<double> values)
    {
        fixed (double* p = values)
        {
            nint request;
            Check(OpenMpiLibrary.Iallreduce(OpenMpiLibrary.InPlace, p, values.Length, _double, _sum, _world, &request), "MPI_Iallreduce");
            Await(&request, "summing statistics over the ranks");
        }
    }

    /// <inheritdoc/>
    public void Min(Span<long> values)
    {
        fixed (long* p = values)
        {
            nint request;
            Check(OpenMpiLibrary.Iallreduce(OpenMpiLibrary.InPlace, p, values.Length, _int64, _min, _world, &request), "MPI_Iallreduce");
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
            Check(OpenMpiLibrary.Iallgather(send, values.Length, _uint64, receive, values.Length, _uint64, _world, &request), "MPI_Iallgather");
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
            Check(OpenMpiLibrary.Irecv(r, receive.Length, _float, partner, Tag, _world, &received), "MPI_Irecv");
            Check(OpenMpiLibrary.Isend(s, send.Length, _float, partner, Tag, _world, &sent), "MPI_Isend");
            Await(&received, "exchanging gradient sums with rank " + partner.ToString(CultureInfo.InvariantCulture));
            Await(&sent, "exchanging gradient sums with rank " + partner.ToString(CultureInfo.InvariantCulture));
        }
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
        OpenMpiLibrary.Abort(_world, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is for a library that does
    }

    /// <summary>Finalises MPI (every rank must do so).</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            OpenMpiLibrary.Finalize();
        }
    }

    private static void Check(int code, string call)
    {
        if (code != OpenMpiLibrary.Success)
        {
            throw new EngineException(string.Create(CultureInfo.InvariantCulture, $"{call} failed with MPI error code {code}"));
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
            Check(OpenMpiLibrary.Iallreduce(OpenMpiLibrary.InPlace, (void*)_pin.AddrOfPinnedObject(), _buffer.Length, _owner._float, _owner._sum, _owner._world, &request), "MPI_Iallreduce");
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
            Check(OpenMpiLibrary.Test(&request, out int done, 0), "MPI_Test");
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
