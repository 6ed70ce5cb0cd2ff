using Engine.Backend.Cudnn.Kernels;

namespace Engine.Backend.Cudnn.Tests;

/// <summary>Host-side parts of the backend: the allocator's size classes and kernel argument slots.</summary>
public sealed class AllocatorAndArgumentTests
{
    [Theory]
    [InlineData(0, 512)]
    [InlineData(1, 512)]
    [InlineData(512, 512)]
    [InlineData(513, 1024)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, 2 << 20)]
    [InlineData((3 << 20) + 1, 4 << 20)]
    [InlineData(100L << 20, 100L << 20)]
    public void RequestsRoundUpToTheirSizeClass(long bytes, long expected) =>
        Assert.Equal(expected, DeviceAllocator.RoundUp(bytes));

    [Fact]
    public void ArgumentsAreEightByteSlotsInTheKernelsTypes()
    {
        // An int fills the low four bytes only (the kernel reads 4 bytes), little-endian.
        Assert.Equal(0xFFFF_FFFFUL, ((KernelArg)(-1)).Bits);
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFFUL, ((KernelArg)(-1L)).Bits);
        Assert.Equal((ulong)BitConverter.DoubleToInt64Bits(0.1), ((KernelArg)0.1).Bits);
        Assert.Equal(0x1234_5678_9ABC_DEF0UL, ((KernelArg)0x1234_5678_9ABC_DEF0UL).Bits);
        Assert.Equal(1UL, ((KernelArg)true).Bits);
        Assert.Equal(0x7F00_0000_1000UL, ((KernelArg)new DevicePointer(unchecked((nint)0x7F00_0000_1000L))).Bits);
    }
}
