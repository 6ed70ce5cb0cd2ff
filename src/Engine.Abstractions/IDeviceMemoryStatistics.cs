namespace Engine;

/// <summary>
/// Implemented by a backend with memory of its own (a GPU's): what its allocator holds, so that
/// tools can show that memory stays flat over a run. Figures are in bytes and cover the backend
/// instance's tensors (and the blocks its allocator keeps cached for reuse).
/// </summary>
public interface IDeviceMemoryStatistics
{
    /// <summary>Bytes held by live tensors.</summary>
    long BytesInUse { get; }

    /// <summary>Most bytes held by live tensors at once.</summary>
    long PeakBytesInUse { get; }

    /// <summary>Bytes obtained from the device: live plus cached for reuse.</summary>
    long BytesReserved { get; }

    /// <summary>Allocations made on the device so far (a steady training step makes none).</summary>
    long DeviceAllocations { get; }
}
