using System.Runtime.CompilerServices;

namespace Engine.Backend.OpenBlas.Tests;

[CollectionDefinition(nameof(MemoryCollection), DisableParallelization = true)]
public sealed class MemoryCollection;

/// <summary>
/// Native memory is invisible to <see cref="GC.GetTotalMemory(bool)"/>, so these tests watch the
/// process's resident set instead. Every tensor is written, so that a leak shows up as resident
/// pages. They run alone so that other tests' allocations do not blur the numbers.
/// </summary>
[Collection(nameof(MemoryCollection))]
public sealed class MemoryTests : IDisposable
{
    private const int OneMegabyteOfFloats = 1 << 18;
    private const long AllowedGrowth = 200L << 20;
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void DisposingTensorsReturnsTheirMemory()
    {
        for (int i = 0; i < 100; i++)
        {
            AllocateTouchAndMaybeDispose(dispose: true);
        }
        long baseline = ResidentBytes();
        long peak = baseline;
        for (int i = 0; i < 10_000; i++)
        {
            AllocateTouchAndMaybeDispose(dispose: true);
            if (i % 500 == 0)
            {
                peak = Math.Max(peak, ResidentBytes());
            }
        }
        peak = Math.Max(peak, ResidentBytes());
        Assert.True(peak - baseline < AllowedGrowth,
            $"resident memory grew by {(peak - baseline) >> 20} MB over 10,000 allocate/dispose cycles of 1 MB");
    }

    [Fact]
    public void FinalizerFreesForgottenTensors()
    {
        long baseline = ResidentBytes();
        for (int i = 0; i < 2_000; i++)
        {
            AllocateTouchAndMaybeDispose(dispose: false);
            if (i % 100 == 99)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long growth = ResidentBytes() - baseline;
        Assert.True(growth < AllowedGrowth, $"resident memory grew by {growth >> 20} MB after 2,000 undisposed 1 MB tensors were collected");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AllocateTouchAndMaybeDispose(bool dispose)
    {
        Tensor t = _backend.Allocate(new Shape(OneMegabyteOfFloats));
        _backend.Fill(t, 1);
        if (dispose)
        {
            t.Dispose();
        }
    }

    /// <summary>Resident set size: /proc/self/statm on Linux, the working set elsewhere.</summary>
    private static long ResidentBytes()
    {
        const string statm = "/proc/self/statm";
        if (File.Exists(statm))
        {
            string[] fields = File.ReadAllText(statm).Split(' ');
            return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        return Environment.WorkingSet;
    }
}
