namespace Engine.Backend.OpenBlas;

/// <summary>
/// Filters derived from a weight tensor (the filter-block tile's repacked weights, Winograd's transformed
/// filters), kept beside the tensor's storage while its <see cref="TensorStorage.Version"/> is unchanged, so
/// that an inference loop over the same weights derives them once instead of on every call (2.4 MB a call on
/// ResNet-18's 256-channel 14×14 layers, 36/9 of the weights for each Winograd layer).
/// </summary>
/// <remarks>
/// <para>A kernel asks <see cref="Find"/> first; on a miss it derives into its own scratch as it always did and
/// offers the result to <see cref="Keep(CpuStorage?, long, Key, float*)"/>, which copies it into a block of the storage's own only when the same
/// caller derived that version once before (a training step writes its weights every step: its calls never repeat a
/// version, so training keeps no copies and pays one version check per call; a split training step's copies of the
/// weights call once each). A storage copied whole from another (<see cref="CpuStorage.Origin"/>: the inference split's
/// copies) is served from, and keeps into, its source's blocks while neither was written since the copy. The cached floats are the ones
/// the kernel derived, so results are the same bits with or without the cache.</para>
/// <para>Correctness rests on every writer bumping the version (<see cref="TensorStorage.MarkWritten"/>); a
/// block is replaced only for a newer version, which no call can still be reading (nothing reads a tensor while
/// it is written); the blocks of older versions, of every kernel, are freed as soon as a newer version is derived. Blocks are freed with the storage (<see cref="CpuStorage"/>'s release); all of them together
/// stay under <see cref="BudgetBytes"/> (<c>ENGINE_DERIVED_FILTERS_MB</c>, default 512), beyond which calls
/// derive per call again. <c>ENGINE_DERIVED_FILTERS=off</c> turns the cache off (the reference: derive every call).</para>
/// </remarks>
internal sealed unsafe class DerivedFilters : IDisposable
{
    /// <summary>What was derived: the kernel and its layout, so one storage used two ways keeps two entries.</summary>
    internal readonly record struct Key(int Kind, long Floats, long Detail);

    /// <summary>Kinds of derived filters.</summary>
    internal const int FilterBlockPack = 1, WinogradForward = 2, WinogradPacked = 3, BatchedPack = 4, RowFilterPack = 5;

    /// <summary>Whether the cache is used (<c>ENGINE_DERIVED_FILTERS=on|off</c>, default on); settable for tests and benchmarks.</summary>
    internal static bool Enabled { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_DERIVED_FILTERS")) ?? true;

    /// <summary>The most bytes all cached blocks may hold together.</summary>
    internal static long BudgetBytes { get; set; } =
        (long.TryParse(Environment.GetEnvironmentVariable("ENGINE_DERIVED_FILTERS_MB"), out long mb) && mb >= 0 ? mb : 512) << 20;

    private static long s_bytes;

    /// <summary>Bytes held by every cached block now; for tests.</summary>
    internal static long Bytes => Interlocked.Read(ref s_bytes);

    /// <summary>Blocks derived and kept so far (each a derivation a later call skips); for tests.</summary>
    internal static long Kept => Interlocked.Read(ref s_kept);

    private static long s_kept;

    private readonly List<Entry> _entries = [];

    private sealed class Entry(Key key)
    {
        public readonly Key Key = key;
        public long Seen = -1;         // the version last derived (kept or not)
        public readonly List<CpuStorage> SeenBy = []; // the storages (this one, its copies) whose calls derived it at Seen
        public long Version = -1;      // the version Block holds
        public CpuStorage? Block;
    }

    /// <summary>The derived floats of <paramref name="storage"/> for <paramref name="key"/> at its current version, or null.</summary>
    public static float* Find(CpuStorage? storage, Key key)
    {
        if (storage is null || !Enabled)
        {
            return null;
        }
        long version = storage.Version;
        (storage, version) = Origin(storage, version);
        if (storage.Derived is not { } derived)
        {
            return null;
        }
        lock (derived._entries)
        {
            foreach (Entry e in derived._entries)
            {
                if (e.Key == key && e.Version == version && e.Block is { } block)
                {
                    return (float*)block.Pointer;
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Offers the floats a kernel derived from <paramref name="storage"/> at <paramref name="version"/> (read before
    /// deriving): kept when that version was derived once before and the budget allows.
    /// </summary>
    public static void Keep(CpuStorage? storage, long version, Key key, float* values) => Keep(storage, version, key, &Copy, values);

    private static void Copy(void* values, float* block, long floats) => Buffer.MemoryCopy(values, block, floats * sizeof(float), floats * sizeof(float));

    /// <summary>
    /// As <see cref="Keep(CpuStorage?, long, Key, float*)"/>, but the floats are written into the kept block by
    /// <paramref name="write"/>(<paramref name="state"/>, block, floats) only when they are kept: a kernel that derives
    /// a second form (filters prepacked for the GEMM) pays for it only on the call that keeps it, never in training.
    /// </summary>
    public static void Keep(CpuStorage? storage, long version, Key key, delegate*<void*, float*, long, void> write, void* state)
    {
        if (storage is null || !Enabled || storage.Version != version)
        {
            return;
        }
        CpuStorage caller = storage;
        (storage, version) = Origin(storage, version);
        if (!ReferenceEquals(caller, storage))
        {
            caller.Derived?.FreeOlderThan(version: caller.Version); // what the copy kept for itself before it was a copy
        }
        DerivedFilters derived = storage.Derived ?? Attach(storage);
        lock (derived._entries)
        {
            Entry? entry = derived._entries.Find(e => e.Key == key);
            if (entry is null)
            {
                derived._entries.Add(entry = new Entry(key));
            }
            if (entry.Seen != version)
            {
                // First call at this version: a training step would never come back to it. The weights moved on (a
                // training step after an evaluation): blocks of older versions, of every kind, would only hold memory
                // beside the training's until the next evaluation keeps new ones (no call still reads them: nothing
                // reads a tensor while it is written).
                entry.Seen = version;
                entry.SeenBy.Clear();
                entry.SeenBy.Add(caller);
                derived.FreeOlderThan(version);
                return;
            }
            if (!entry.SeenBy.Contains(caller))
            {
                // Seen at this version only through another copy of the same weights (the split's copies each run their
                // own sub-batch once a training step): not yet a repeated call.
                entry.SeenBy.Add(caller);
                return;
            }
            long bytes = key.Floats * sizeof(float);
            if (entry.Block is null || entry.Block.ByteLength < bytes)
            {
                if (Interlocked.Add(ref s_bytes, bytes) > BudgetBytes)
                {
                    Interlocked.Add(ref s_bytes, -bytes);
                    return;
                }
                Free(entry);
                entry.Block = new CpuStorage(bytes);
            }
            write(state, (float*)entry.Block.Pointer, key.Floats);
            entry.Version = version;
            Interlocked.Increment(ref s_kept);
        }
    }

    /// <summary>Version to pass to <see cref="Keep(CpuStorage?, long, Key, float*)"/>: read before deriving, so a write racing the derivation is never taken for it.</summary>
    public static long VersionOf(CpuStorage? storage) => storage?.Version ?? -1;

    /// <summary>Bytes of the blocks kept for <paramref name="storage"/> (0 when none); for tests.</summary>
    internal static long BytesOf(CpuStorage storage)
    {
        if (storage.Derived is not { } derived)
        {
            return 0;
        }
        lock (derived._entries)
        {
            return derived._entries.Sum(e => e.Block?.ByteLength ?? 0);
        }
    }

    /// <summary>
    /// The storage whose cache serves <paramref name="storage"/> at <paramref name="version"/>: the one it was copied from
    /// whole (<see cref="CpuStorage.Origin"/>: the inference split's copies of a network's weights, <c>TensorMirror</c>)
    /// while neither was written since the copy, so the copies share one set of derived filters instead of holding one
    /// each; else itself.
    /// </summary>
    private static (CpuStorage Storage, long Version) Origin(CpuStorage storage, long version)
    {
        if (storage.Origin is { } origin && version == storage.CopyVersion && !origin.IsDisposed && origin.Version == storage.OriginVersion)
        {
            return (origin, storage.OriginVersion);
        }
        return (storage, version);
    }

    private static DerivedFilters Attach(CpuStorage storage)
    {
        var created = new DerivedFilters();
        return Interlocked.CompareExchange(ref storage.Derived, created, null) ?? created;
    }

    private static void Free(Entry entry)
    {
        if (entry.Block is { } block)
        {
            Interlocked.Add(ref s_bytes, -block.ByteLength);
            block.Dispose();
            entry.Block = null;
            entry.Version = -1;
        }
    }

    /// <summary>Frees the blocks of versions other than <paramref name="version"/> (the storage's current one: the others are stale).</summary>
    private void FreeOlderThan(long version)
    {
        lock (_entries)
        {
            foreach (Entry e in _entries)
            {
                if (e.Block is not null && e.Version != version)
                {
                    Free(e);
                }
            }
        }
    }

    /// <summary>Frees every block (the storage is being released).</summary>
    public void Dispose()
    {
        lock (_entries)
        {
            _entries.ForEach(Free);
            _entries.Clear();
        }
    }
}
