namespace Engine.Backend.Cudnn;

/// <summary>Data-parallel sums on the GPU with NCCL (<c>--distributed nccl</c>), one process per GPU.</summary>
public sealed partial class CudnnBackend : IDeviceCollectives
{
    /// <inheritdoc/>
    public int GroupIdLength => ShimNative.NcclIdBytes;

    /// <inheritdoc/>
    public byte[] CreateGroupId()
    {
        ThrowIfDisposed();
        return NcclLibrary.UniqueId();
    }

    /// <inheritdoc/>
    public IDeviceGroup JoinGroup(ReadOnlySpan<byte> groupId, int rank, int size)
    {
        ThrowIfDisposed();
        return new NcclGroup(groupId, rank, size);
    }
}
