namespace Engine.Core.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> of <c>--distributed nccl</c>: one process per GPU, the gradients
/// summed on the devices by the backend's collectives (<see cref="IDeviceCollectives"/>: NCCL on the
/// cuDNN backend, see <see cref="DeviceGradientReducer"/>), with the semantics of MPI training (the
/// same buckets, each rank's share of the global batch, rank 0 writes). The trainer's small host
/// collectives (configuration hashes, statistics, synchronised batch norm) and the group id go over
/// <see cref="Host"/>, the MPI group of the launcher; a process that no MPI launcher started is a
/// group of one rank (NCCL's whole path on one GPU). <see cref="Bind"/> joins the device group once
/// the backend exists: rank 0 makes the group id and every rank receives it over MPI.
/// </summary>
public sealed class DeviceCommunicator : ICommunicator
{
    private IDeviceGroup? _device;
    private bool _disposed;

    /// <summary>A device group over <paramref name="host"/>'s ranks (null: this process alone).</summary>
    public DeviceCommunicator(ICommunicator? host)
    {
        Host = host;
    }

    /// <summary>The MPI group the host collectives use; null for one rank that no launcher started.</summary>
    public ICommunicator? Host { get; }

    /// <inheritdoc/>
    public int Rank => Host?.Rank ?? 0;

    /// <inheritdoc/>
    public int Size => Host?.Size ?? 1;

    /// <summary>The device group joined by <see cref="Bind"/>.</summary>
    public IDeviceGroup Group => _device ?? throw new InvalidOperationException("the device group is not joined yet: call Bind with the backend first");

    /// <summary>The libraries, e.g. "NCCL 2.28.9 (libnccl.so.2) over Open MPI, libmpi.so.40".</summary>
    public string Library => $"{_device?.Library ?? "NCCL"} over {(Host is MpiCommunicator mpi ? mpi.Library : Host is null ? "no MPI launcher: one rank" : "MPI")}";

    /// <summary>
    /// The communicator of this process: over MPI when an MPI launcher started it (a
    /// <see cref="ConfigurationException"/> as <see cref="MpiCommunicator.Initialize"/> when MPI
    /// cannot be used), else one rank.
    /// </summary>
    public static DeviceCommunicator Initialize(TimeSpan timeout)
    {
        if (!MpiCommunicator.LaunchedByMpi)
        {
            return new DeviceCommunicator(null);
        }
        MpiCommunicator mpi = MpiCommunicator.Initialize();
        mpi.Timeout = timeout;
        return new DeviceCommunicator(mpi);
    }

    /// <summary>
    /// Joins the device group of <paramref name="backend"/> (every rank calls it together). A
    /// <see cref="ConfigurationException"/> when the backend has no device collectives (a CPU backend).
    /// </summary>
    public void Bind(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (backend is not IDeviceCollectives collectives)
        {
            throw new ConfigurationException($"--distributed nccl sums gradients on GPUs with NCCL, and backend '{backend.Name}' has no device collectives: train on the cudnn backend (--device gpu), or use --distributed mpi on this one");
        }
        if (_device is not null)
        {
            throw new InvalidOperationException("the device group is already joined");
        }
        byte[] id = Rank == 0 ? collectives.CreateGroupId() : new byte[collectives.GroupIdLength];
        if (Host is not null && Size > 1)
        {
            id = FromRankZero(id);
        }
        _device = collectives.JoinGroup(id, Rank, Size);
    }

    // Every rank gets rank 0's bytes: a gather of whole words, of which rank 0's come first.
    private byte[] FromRankZero(byte[] mine)
    {
        var words = new ulong[(mine.Length + 7) / 8];
        Buffer.BlockCopy(mine, 0, words, 0, mine.Length);
        ulong[] all = Host!.Gather(words);
        var id = new byte[mine.Length];
        Buffer.BlockCopy(all, 0, id, 0, id.Length);
        return id;
    }

    /// <inheritdoc/>
    public void Sum(Span<double> values) => Host?.Sum(values);

    /// <inheritdoc/>
    public void Min(Span<long> values) => Host?.Min(values);

    /// <inheritdoc/>
    public ulong[] Gather(ReadOnlySpan<ulong> values) => Host?.Gather(values) ?? values.ToArray();

    /// <inheritdoc/>
    public void Exchange(int partner, ReadOnlySpan<float> send, Span<float> receive)
    {
        if (Host is not null)
        {
            Host.Exchange(partner, send, receive);
            return;
        }
        if (partner != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(partner), partner, "a group of one rank has rank 0 only");
        }
        send.CopyTo(receive);
    }

    /// <inheritdoc/>
    public IAsyncSum CreateSum(float[] buffer) => Host?.CreateSum(buffer) ?? new OneRankSum();

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        if (Host is not null)
        {
            Host.Abort(exitCode);
        }
        Console.Error.Flush();
        Environment.Exit(exitCode);
    }

    /// <summary>Leaves the device group, then finalises MPI.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _device?.Dispose();
        Host?.Dispose();
    }

    // The sum over one rank: the buffer as it is.
    private sealed class OneRankSum : IAsyncSum
    {
        public void Start()
        {
        }

        public bool Test() => true;

        public void Wait()
        {
        }

        public void Dispose()
        {
        }
    }
}
