using System.Globalization;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// <see cref="HugePages"/>: a large tensor block is its own mapping on a huge-page boundary whose whole huge pages the kernel
/// backs with 2 MB pages once written (read back from <c>/proc/self/smaps</c>), a small one comes from the allocator as before,
/// with the switch off a large one gets no huge pages, and every block holds what is written to it until it is freed.
/// </summary>
[Collection(nameof(MemoryCollection))]
public sealed class HugePagesTests : IDisposable
{
    private const long Megabyte = 1 << 20;
    private readonly bool _enabled = HugePages.Enabled;

    public void Dispose() => HugePages.Enabled = _enabled;

    [HugePagesFact]
    public unsafe void LargeBlocksStartOnAHugePageAndAreBackedByHugePages()
    {
        HugePages.Enabled = true;
        long bytes = 9 * Megabyte + 4000; // four whole huge pages and a tail that keeps small pages
        using var storage = new CpuStorage(bytes);
        Assert.Equal(0, storage.Pointer % HugePages.PageBytes);
        Fill(storage.Pointer, bytes);
        long huge = AnonHugeKilobytes(storage.Pointer);
        Assert.True(huge >= 2048, $"the block at 0x{storage.Pointer:x} has {huge} kB in huge pages");
        Assert.True(huge <= 8 * 1024, $"the block's tail got huge pages too: {huge} kB for 9 MB");
        Check(storage.Pointer, bytes);
    }

    [HugePagesFact]
    public unsafe void WithTheSwitchOffLargeBlocksKeepSmallPages()
    {
        HugePages.Enabled = false;
        long bytes = 8 * Megabyte;
        using var storage = new CpuStorage(bytes);
        Fill(storage.Pointer, bytes);
        Assert.Equal(0, AnonHugeKilobytes(storage.Pointer));
        Check(storage.Pointer, bytes);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(2 * Megabyte - 4)]
    [InlineData(2 * Megabyte)]
    [InlineData(6 * Megabyte + 12)]
    public unsafe void BlocksOfEverySizeHoldWhatIsWrittenAndAreAligned(long bytes)
    {
        HugePages.Enabled = true;
        using var storage = new CpuStorage(bytes);
        Assert.Equal(0, storage.Pointer % CpuStorage.Alignment);
        Assert.Equal(bytes >= HugePages.Threshold && OperatingSystem.IsLinux(), storage.Pointer % HugePages.PageBytes == 0);
        Fill(storage.Pointer, bytes);
        Check(storage.Pointer, bytes);
    }

    /// <summary>Skipped, saying so, where the kernel offers no transparent huge pages (not Linux, or their setting is never).</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class HugePagesFactAttribute : FactAttribute
    {
        private const string Setting = "/sys/kernel/mm/transparent_hugepage/enabled";

        public HugePagesFactAttribute()
        {
            if (!OperatingSystem.IsLinux() || !File.Exists(Setting) || File.ReadAllText(Setting).Contains("[never]", StringComparison.Ordinal))
            {
                Skip = $"this machine's kernel offers no transparent huge pages ({Setting})";
            }
        }
    }

    private static unsafe void Fill(nint pointer, long bytes)
    {
        byte* p = (byte*)pointer;
        for (long i = 0; i < bytes; i++)
        {
            p[i] = (byte)(i * 7 + (i >> 12));
        }
    }

    private static unsafe void Check(nint pointer, long bytes)
    {
        byte* p = (byte*)pointer;
        for (long i = 0; i < bytes; i++)
        {
            if (p[i] != (byte)(i * 7 + (i >> 12)))
            {
                Assert.Fail($"byte {i} of {bytes} changed");
            }
        }
    }

    // AnonHugePages of the mapping holding the address, in kB.
    private static long AnonHugeKilobytes(nint address)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && long.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long start)
                && long.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long end))
            {
                inside = start <= address && address < end;
            }
            else if (inside && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            {
                return long.Parse(line["AnonHugePages:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"no mapping holds 0x{address:x}");
    }
}
