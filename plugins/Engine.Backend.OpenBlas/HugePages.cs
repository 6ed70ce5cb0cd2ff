using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Backs the large tensor blocks with transparent huge pages (2 MB) on Linux: <c>ENGINE_HUGE_PAGES=on|off</c>, default on.
/// A training step walks tens of megabytes of activations plane by plane and channel by channel; with 4 KB pages those walks
/// miss the TLB page after page. Debian's kernels, like most, give huge pages only to memory that asks for them
/// (<c>/sys/kernel/mm/transparent_hugepage/enabled</c> set to <c>madvise</c>), so a block of at least <see cref="Threshold"/>
/// bytes is mapped on its own at a huge-page boundary and its whole huge pages are marked with <c>madvise(MADV_HUGEPAGE)</c>;
/// the tail past the last whole huge page keeps small pages, so no block grows. Nothing is computed differently (the same
/// bits); only the page walks go (benchmarks/NOTES.md: VGG-CIFAR training 2 % faster here by the median of eight paired runs, 5 % by the best).
/// </summary>
internal static partial class HugePages
{
    /// <summary>Size of one huge page, the alignment of the blocks that get them.</summary>
    public const long PageBytes = 2 << 20;

    /// <summary>Blocks from this size (one huge page) up are mapped for huge pages; smaller ones come from the allocator.</summary>
    public const long Threshold = PageBytes;

    /// <summary>Whether large blocks are mapped for huge pages: <c>ENGINE_HUGE_PAGES=on|off</c>, default on where the OS is Linux.</summary>
    public static bool Enabled { get; internal set; } =
        OperatingSystem.IsLinux() && (WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_HUGE_PAGES")) ?? true);

    // <sys/mman.h> on Linux (the same values on x86-64 and arm64).
    private const int ProtectReadWrite = 0x1 | 0x2;
    private const int MapPrivateAnonymous = 0x02 | 0x20;
    private const int AdviseHugePage = 14;
    private const long SmallPage = 4096;

    /// <summary>
    /// Allocates <paramref name="byteLength"/> uninitialised bytes aligned to <paramref name="alignment"/>. With
    /// <see cref="Enabled"/> and at least <see cref="Threshold"/> bytes the block is its own mapping aligned to a huge page
    /// (<paramref name="mapped"/> true: free it with <see cref="Free"/>); otherwise it comes from
    /// <see cref="NativeMemory.AlignedAlloc"/> (free with <see cref="NativeMemory.AlignedFree"/>).
    /// </summary>
    public static unsafe void* Allocate(long byteLength, nuint alignment, out bool mapped)
    {
        mapped = false;
        if (Enabled && byteLength >= Threshold)
        {
            void* block = MapAligned(byteLength);
            if (block != null)
            {
                mapped = true;
                return block;
            }
        }
        return NativeMemory.AlignedAlloc((nuint)Math.Max(byteLength, 1), alignment);
    }

    /// <summary>Returns a block that <see cref="Allocate"/> mapped (<c>mapped</c> true) of <paramref name="byteLength"/> bytes to the OS.</summary>
    public static unsafe void Free(void* block, long byteLength) => _ = Unmap((nint)block, (nuint)MappedLength(byteLength));

    private static long MappedLength(long byteLength) => (byteLength + SmallPage - 1) & ~(SmallPage - 1);

    // Maps a huge page more than asked and gives back the head and tail around the first huge-page boundary, so that the block
    // starts on one whatever the kernel's placement. Null when the OS refuses (the caller falls back to the allocator).
    private static unsafe void* MapAligned(long byteLength)
    {
        long length = MappedLength(byteLength);
        nint raw = Map(0, (nuint)(length + PageBytes), ProtectReadWrite, MapPrivateAnonymous, -1, 0);
        if (raw == -1)
        {
            return null;
        }
        long start = ((long)raw + PageBytes - 1) & ~(PageBytes - 1);
        long head = start - raw;
        long tail = PageBytes - head;
        if (head > 0)
        {
            _ = Unmap(raw, (nuint)head);
        }
        if (tail > 0)
        {
            _ = Unmap((nint)(start + length), (nuint)tail);
        }
        // Only advice: a kernel with transparent huge pages off answers with an error and the block keeps small pages.
        long whole = length & ~(PageBytes - 1);
        _ = Advise((nint)start, (nuint)whole, AdviseHugePage);
        return (void*)start;
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Map(nint address, nuint length, int protection, int flags, int descriptor, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Unmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Advise(nint address, nuint length, int advice);
}
