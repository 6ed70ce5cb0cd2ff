namespace Engine.Backend.Cudnn.Kernels;

/// <summary>
/// One kernel argument as an 8-byte slot: device pointers, 64-bit counts and seeds, doubles, and
/// ints (which occupy the slot's first four bytes; the kernel reads only those). Kernels take real
/// scalars as double and convert them to their element type themselves.
/// </summary>
internal readonly struct KernelArg
{
    internal readonly ulong Bits;

    private KernelArg(ulong bits) => Bits = bits;

    public static implicit operator KernelArg(int value) => new((uint)value);

    public static implicit operator KernelArg(long value) => new((ulong)value);

    public static implicit operator KernelArg(ulong value) => new(value);

    public static implicit operator KernelArg(double value) => new((ulong)BitConverter.DoubleToInt64Bits(value));

    public static implicit operator KernelArg(bool value) => new(value ? 1u : 0u);

    /// <summary>A device address (see <see cref="DevicePointer"/>).</summary>
    public static implicit operator KernelArg(DevicePointer pointer) => new((ulong)pointer.Address);
}

/// <summary>A device address, kept apart from host integers so that it cannot be passed as a count.</summary>
internal readonly record struct DevicePointer(nint Address);
