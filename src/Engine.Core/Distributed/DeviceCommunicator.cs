namespace Engine.Core.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> of <c>--distributed nccl</c>: one process per GPU, the gradients
/// summed on the devices by the backend's collectives (<see cref="IDeviceCollectives"/>: NCCL on the
/// cuDNN backend, see <see cref="DeviceGradientReducer"/>), with the semantics of MPI training (the
/// same buckets, each rank's share of the global batch, rank 0 writes). The trainer's small host
/// collectives (configuration hashes, statistics, synchronised batch norm) and the group id go over
/// <see cref="Host"/>, the MPI group of the launcher; a process that no MPI launcher started is a
/// group of one rank (NCCL's whole path on one GPU). <see cref="Bind"/> joins the device group once
/// the backend exists: rank 0 makes the group id and every rank receives it over MPI. Ranks that
/// another launcher started with a group id it made (<c>engine train --nproc</c>, or an
/// application's own, see <see cref="DeviceCommunicator(int, int, byte[])"/>) share no MPI group:
/// their host collectives go over the device group too (<see cref="DeviceHostCollectives"/>).
/// </summary>
public sealed class DeviceCommunicator : ICommunicator
{
    private readonly int _rank;
    private readonly int _size = 1;
    private readonly byte[]? _groupId;
    private IDeviceGroup? _device;
    private DeviceHostCollectives? _overDevice;
    private bool _disposed;

    /// <summary>A device group over <paramref name="host"/>'s ranks (null: this process alone).</summary>
    public DeviceCommunicator(ICommunicator? host)
    {
        Host = host;
    }

    /// <summary>
    /// Rank <paramref name="rank"/> of <paramref name="size"/> processes that a launcher started with
    /// the group id <paramref name="groupId"/> (made once, by <see cref="IDeviceCollectivesProvider.CreateGroupId"/>
    /// in the launcher, or by <see cref="IDeviceCollectives.CreateGroupId"/> on one rank and sent to
    /// the others by the application's own means). No MPI: once <see cref="Bind"/> has joined the
    /// device group, the host collectives (<see cref="Sum"/>, <see cref="Min"/>, <see cref="Gather"/>)
    /// run over it on small device buffers. A rank that fails cannot stop the others
    /// (<see cref="Abort"/> ends this process only): the launcher must end them, as
    /// <c>engine train --nproc</c> does.
    /// </summary>
    public DeviceCommunicator(int rank, int size, byte[] groupId)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (rank < 0 || rank >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"a rank of a group of {size} is 0 … {size - 1}");
        }
        _rank = rank;
        _size = size;
        _groupId = groupId;
    }

    /// <summary>The MPI group the host collectives use; null for one rank that no launcher started.</summary>
    public ICommunicator? Host { get; }

    /// <inheritdoc/>
    public int Rank => Host?.Rank ?? _rank;

    /// <inheritdoc/>
    public int Size => Host?.Size ?? _size;

    /// <summary>Whether a launcher other than MPI started this rank with a group id (<see cref="DeviceCommunicator(int, int, byte[])"/>).</summary>
    public bool LaunchedWithGroupId => _groupId is not null;

    /// <summary>The device group joined by <see cref="Bind"/>.</summary>
    public IDeviceGroup Group => _device ?? throw new InvalidOperationException("the device group is not joined yet: call Bind with the backend first");

    /// <summary>The libraries, e.g. "NCCL 2.28.9 (libnccl.so.2) over Open MPI, libmpi.so.40", or "NCCL 2.28.9 (libnccl.so.2), no MPI: …" for ranks started with a group id.</summary>
    public string Library => _groupId is not null ? $"{_device?.Library ?? "NCCL"}, no MPI: ranks started by a launcher with a group id"
        : $"{_device?.Library ?? "NCCL"} over {(Host is MpiCommunicator mpi ? mpi.Library : Host is null ? "no MPI launcher: one rank" : "MPI")}";

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
        if (_groupId is not null)
        {
            _device = collectives.JoinGroup(_groupId, Rank, Size);
            _overDevice = new DeviceHostCollectives(backend, _device, Rank, Size);
            return;
        }
        byte[] id = Rank == 0 ? collectives.CreateGroupId() : new byte[collectives.GroupIdLength];
        if (Host is not null && Size > 1)
        {
            id = FromRankZero(id);
        }
        _device = collectives.JoinGroup(id, Rank, Size);
    }

    // The device group's host collectives, for ranks without MPI (null for MPI's ranks and one rank alone).
    private DeviceHostCollectives? OverDevice => _groupId is null || Size == 1 ? null
        : _overDevice ?? throw new InvalidOperationException("the ranks' host collectives run over the device group: call Bind with the backend first");

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
    public void Sum(Span<double> values)
    {
        Host?.Sum(values);
        OverDevice?.Sum(values);
    }

    /// <inheritdoc/>
    public void Min(Span<long> values)
    {
        Host?.Min(values);
        OverDevice?.Min(values);
    }

    /// <inheritdoc/>
    public ulong[] Gather(ReadOnlySpan<ulong> values) => Host?.Gather(values) ?? OverDevice?.Gather(values) ?? values.ToArray();

    /// <inheritdoc/>
    public void Exchange(int partner, ReadOnlySpan<float> send, Span<float> receive)
    {
        if (Host is not null)
        {
            Host.Exchange(partner, send, receive);
            return;
        }
        if (OverDevice is not null)
        {
            throw new NotSupportedException("the shard tree's point-to-point exchanges (--reduction-shards) go over MPI: ranks started without it sum their gradients with NCCL only");
        }
        if (partner != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(partner), partner, "a group of one rank has rank 0 only");
        }
        send.CopyTo(receive);
    }

    /// <inheritdoc/>
    public IAsyncSum CreateSum(float[] buffer) => Host?.CreateSum(buffer) ?? (OverDevice is { } device ? new DeviceSum(device, buffer) : new OneRankSum());

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

    // A host buffer's sum over ranks without MPI: summed by the device group when started (blocking).
    private sealed class DeviceSum(DeviceHostCollectives device, float[] buffer) : IAsyncSum
    {
        public void Start() => device.Sum(buffer);

        public bool Test() => true;

        public void Wait()
        {
        }

        public void Dispose()
        {
        }
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
