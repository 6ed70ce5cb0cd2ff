using System.Runtime.InteropServices;

namespace Engine.Backend.Cudnn;

/// <summary>The shim's NCCL imports (ecud_nccl_* of ecud.h): libnccl is opened by ecud_nccl_load only.</summary>
internal static unsafe partial class ShimNative
{
    /// <summary>ECUD_NCCL_ID_BYTES: the length of NCCL's ncclUniqueId.</summary>
    internal const int NcclIdBytes = 128;

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ecud_nccl_load(string? searchPath, byte* description, int capacity);

    [LibraryImport(Library)]
    internal static partial int ecud_nccl_unique_id(byte* id);

    [LibraryImport(Library)]
    internal static partial int ecud_nccl_init(nint* communicator, int size, byte* id, int rank);

    [LibraryImport(Library)]
    internal static partial int ecud_nccl_sum(nint communicator, nint* buffers, nuint* counts, int bufferCount);

    [LibraryImport(Library)]
    internal static partial int ecud_nccl_destroy(nint communicator);

    [LibraryImport(Library)]
    internal static partial int ecud_device_count(int* count);
}
