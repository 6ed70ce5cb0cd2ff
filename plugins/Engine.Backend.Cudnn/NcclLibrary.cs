using System.Runtime.InteropServices;

namespace Engine.Backend.Cudnn;

/// <summary>
/// NCCL through the shim, opened on first use (the rest of the backend never needs it), searched
/// in <see cref="ShimLibrary.SearchPathVariable"/>'s folders first, then as the CUDA libraries are.
/// </summary>
internal static unsafe class NcclLibrary
{
    private static readonly Lock Gate = new();
    private static string? _description;

    /// <summary>Loads NCCL once; "NCCL 2.28.9 (path)", or a <see cref="BackendException"/> naming what was looked for.</summary>
    public static string Load()
    {
        lock (Gate)
        {
            if (_description is null)
            {
                byte* buffer = stackalloc byte[2048];
                int status = ShimNative.ecud_nccl_load(Environment.GetEnvironmentVariable(ShimLibrary.SearchPathVariable), buffer, 2048);
                string text = Marshal.PtrToStringUTF8((nint)buffer) ?? "";
                if (status != 0)
                {
                    throw new BackendException($"--distributed nccl needs NCCL: {text} (PyTorch's CUDA wheels carry it in nvidia/nccl/lib: add that folder to {ShimLibrary.SearchPathVariable})");
                }
                _description = text;
            }
            return _description;
        }
    }

    /// <summary>A new group id (rank 0 makes it; the others receive it).</summary>
    public static byte[] UniqueId()
    {
        Load();
        var id = new byte[ShimNative.NcclIdBytes];
        fixed (byte* p = id)
        {
            ShimLibrary.Check(ShimNative.ecud_nccl_unique_id(p), "making an NCCL group id");
        }
        return id;
    }
}

/// <summary>One NCCL communicator of this process's GPU: in-place float32 sums on the backend's stream.</summary>
internal sealed unsafe class NcclGroup : IDeviceGroup
{
    private nint _communicator;
    private nint[] _buffers = [];
    private nuint[] _counts = [];

    public NcclGroup(ReadOnlySpan<byte> groupId, int rank, int size)
    {
        Library = NcclLibrary.Load();
        if (groupId.Length != ShimNative.NcclIdBytes)
        {
            throw new ArgumentException($"an NCCL group id has {ShimNative.NcclIdBytes} bytes, got {groupId.Length}", nameof(groupId));
        }
        nint communicator;
        fixed (byte* id = groupId)
        {
            ShimLibrary.Check(ShimNative.ecud_nccl_init(&communicator, size, id, rank), $"joining the NCCL group as rank {rank} of {size}");
        }
        _communicator = communicator;
    }

    public string Library { get; }

    public void Sum(IReadOnlyList<Tensor> tensors)
    {
        ObjectDisposedException.ThrowIf(_communicator == 0, this);
        if (_buffers.Length < tensors.Count)
        {
            _buffers = new nint[tensors.Count];
            _counts = new nuint[tensors.Count];
        }
        for (int i = 0; i < tensors.Count; i++)
        {
            Tensor t = tensors[i];
            if (t.Storage is not DeviceStorage || t.DataType != DataType.Float32)
            {
                throw new ArgumentException($"NCCL sums float32 tensors of the cudnn backend; tensor {i} is {t}", nameof(tensors));
            }
            _buffers[i] = CudnnBackend.Ptr(t).Address;
            _counts[i] = (nuint)t.ElementCount;
            t.Storage.MarkWritten(); // the sum is written in place, outside the backend's ops
        }
        fixed (nint* buffers = _buffers)
        fixed (nuint* counts = _counts)
        {
            ShimLibrary.Check(ShimNative.ecud_nccl_sum(_communicator, buffers, counts, tensors.Count), "summing gradients over the ranks (NCCL)");
        }
    }

    public void Dispose()
    {
        if (_communicator != 0)
        {
            _ = ShimNative.ecud_nccl_destroy(_communicator);
            _communicator = 0;
        }
    }
}
