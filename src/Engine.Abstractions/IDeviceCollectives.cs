namespace Engine;

/// <summary>
/// Implemented by a backend that can sum tensors over the processes of a data-parallel run on its
/// own devices, without passing through host memory (the cuDNN backend: NCCL, one process per GPU).
/// Optional: the trainer's <c>--distributed nccl</c> needs it. One rank makes a group id
/// (<see cref="CreateGroupId"/>), the caller sends it to every rank (over MPI), and every rank joins
/// with it (<see cref="JoinGroup"/>).
/// </summary>
public interface IDeviceCollectives
{
    /// <summary>The length of a group id in bytes (fixed by the library, known before it is loaded).</summary>
    int GroupIdLength { get; }

    /// <summary>
    /// Loads the collective library if needed and makes a new group id, on one rank only. Throws
    /// <see cref="BackendException"/> naming the library when it is missing.
    /// </summary>
    byte[] CreateGroupId();

    /// <summary>
    /// Joins the group <paramref name="groupId"/> of <paramref name="size"/> ranks as
    /// <paramref name="rank"/>; blocks until every rank has joined.
    /// </summary>
    IDeviceGroup JoinGroup(ReadOnlySpan<byte> groupId, int rank, int size);
}

/// <summary>A group of ranks joined by <see cref="IDeviceCollectives.JoinGroup"/>.</summary>
public interface IDeviceGroup : IDisposable
{
    /// <summary>The library and where it was found, e.g. "NCCL 2.28.9 (libnccl.so.2)".</summary>
    string Library { get; }

    /// <summary>
    /// Queues in-place sums over every rank of float32 tensors of this backend, as one group, after
    /// the work queued before it (like any other op: it has completed once the backend has waited,
    /// e.g. in <see cref="IBackend.CopyToHost{T}"/>). Every rank passes tensors of the same sizes in
    /// the same order.
    /// </summary>
    void Sum(IReadOnlyList<Tensor> tensors);
}

/// <summary>
/// Implemented by the provider of a backend with <see cref="IDeviceCollectives"/>: makes a group id
/// without opening a device, so that a process that trains on no device itself (the launcher of
/// <c>engine train --distributed nccl --nproc N</c>, which starts one process per GPU) can hand the
/// same id to every rank it starts, as <c>torchrun</c>'s launcher does for PyTorch.
/// </summary>
public interface IDeviceCollectivesProvider
{
    /// <summary>
    /// Loads the collective library if needed and makes a new group id (the same bytes as
    /// <see cref="IDeviceCollectives.CreateGroupId"/>). The calling process must live until every
    /// rank has joined (NCCL's id names a listener in it). Throws <see cref="BackendException"/>
    /// naming the library when it, or the backend's own libraries, are missing.
    /// </summary>
    byte[] CreateGroupId();
}
