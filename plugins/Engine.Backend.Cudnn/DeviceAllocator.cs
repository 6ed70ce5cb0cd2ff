namespace Engine.Backend.Cudnn;

/// <summary>
/// A caching allocator of device memory: freed blocks go to a free list by rounded size and are
/// handed out again, so a training step whose shapes repeat makes no cudaMalloc or cudaFree (both
/// synchronise the device). All work runs on the backend's one stream, so a block returned while
/// kernels that use it are still queued can be reused at once: later work is ordered after them.
/// When the device is full, the cached blocks are released (after a synchronisation) and the
/// allocation is tried again. Thread-safe.
/// </summary>
internal sealed unsafe class DeviceAllocator : IDisposable
{
    private const long SmallLimit = 1 << 20;
    private const long SmallGranule = 512;
    private const long LargeGranule = 2 << 20;
    private const int CaptureRefused = 10; // ECUD_ERROR_CAPTURE

    private readonly Dictionary<long, Stack<nint>> _free = [];
    private readonly Lock _gate = new();
    private Dictionary<long, Stack<nint>>? _held; // while a graph is captured: the blocks returned since, by size class
    private bool _disposed;

    /// <summary>Bytes held by live tensors (rounded sizes).</summary>
    public long BytesInUse { get; private set; }

    /// <summary>Bytes obtained from the device: in use plus cached.</summary>
    public long BytesReserved { get; private set; }

    /// <summary>Most bytes in use at once.</summary>
    public long PeakBytesInUse { get; private set; }

    /// <summary>cudaMalloc calls so far (a steady training step adds none).</summary>
    public long DeviceAllocations { get; private set; }

    /// <summary>Rounds a request to its size class: 512 B steps up to 1 MiB, then 2 MiB steps.</summary>
    public static long RoundUp(long bytes)
    {
        long granule = bytes <= SmallLimit ? SmallGranule : LargeGranule;
        return Math.Max(granule, (bytes + granule - 1) / granule * granule);
    }

    /// <summary>A block of at least <paramref name="bytes"/>; <paramref name="rounded"/> is its size class.</summary>
    public nint Rent(long bytes, out long rounded)
    {
        rounded = RoundUp(bytes);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // While capturing, a block the capture itself gave back first: the graph's nodes run in
            // stream order, so it is free again at this point of every replay, as in the eager step
            // (which reuses it just so); without this the capture would need a cudaMalloc the
            // warm-up steps did not (GPU run 5, NHWC: each convolution's channels-last copies).
            if (_held is not null && _held.TryGetValue(rounded, out Stack<nint>? mine) && mine.Count > 0)
            {
                nint reused = mine.Pop();
                Account(rounded);
                return reused;
            }
            if (_free.TryGetValue(rounded, out Stack<nint>? stack) && stack.Count > 0)
            {
                nint cached = stack.Pop();
                Account(rounded);
                return cached;
            }
            nint pointer;
            int status = ShimNative.ecud_malloc(&pointer, (nuint)rounded);
            if (status == CaptureRefused)
            {
                // Not a full device: a CUDA graph is being captured, and cudaMalloc cannot be.
                throw new BackendException($"cudnn: allocating {bytes:N0} bytes while capturing a CUDA graph: {ShimLibrary.LastError()}");
            }
            if (status != 0)
            {
                // Device full: give the cached blocks back and try once more.
                ReleaseCached();
                status = ShimNative.ecud_malloc(&pointer, (nuint)rounded);
                if (status != 0)
                {
                    throw new BackendException($"cudnn: out of device memory allocating {bytes:N0} bytes " +
                        $"({BytesInUse:N0} in use by tensors): {ShimLibrary.LastError()}");
                }
            }
            DeviceAllocations++;
            BytesReserved += rounded;
            Account(rounded);
            return pointer;
        }
    }

    /// <summary>Takes a block back into the cache (or frees it once the allocator is disposed).</summary>
    public void Return(nint pointer, long rounded)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                _ = ShimNative.ecud_free(pointer);
                return;
            }
            BytesInUse -= rounded;
            if (_held is not null)
            {
                Cache(_held, pointer, rounded); // a captured graph may still use it: see BeginHold
                return;
            }
            Cache(_free, pointer, rounded);
        }
    }

    /// <summary>
    /// While a CUDA graph is captured: blocks returned are kept aside instead of cached, because the
    /// graph writes them at every replay and must not find another tensor there; only the capture
    /// itself takes them again (<see cref="Rent"/>). <see cref="EndHold"/> hands those still free to
    /// the graph, which gives them back (<see cref="ReleaseHeld"/>) when it is destroyed.
    /// </summary>
    public void BeginHold()
    {
        lock (_gate)
        {
            _held = [];
        }
    }

    /// <summary>Ends <see cref="BeginHold"/>; returns the blocks returned since and not taken again.</summary>
    public List<(nint Pointer, long Rounded)> EndHold()
    {
        lock (_gate)
        {
            List<(nint, long)> held = [];
            foreach ((long rounded, Stack<nint> stack) in _held ?? [])
            {
                held.AddRange(stack.Select(pointer => (pointer, rounded)));
            }
            _held = null;
            return held;
        }
    }

    /// <summary>Caches blocks a destroyed graph held (frees them once the allocator is disposed).</summary>
    public void ReleaseHeld(List<(nint Pointer, long Rounded)> held)
    {
        lock (_gate)
        {
            foreach ((nint pointer, long rounded) in held)
            {
                if (_disposed)
                {
                    _ = ShimNative.ecud_free(pointer);
                    BytesReserved -= rounded;
                }
                else
                {
                    Cache(_free, pointer, rounded);
                }
            }
            held.Clear();
        }
    }

    private static void Cache(Dictionary<long, Stack<nint>> lists, nint pointer, long rounded)
    {
        if (!lists.TryGetValue(rounded, out Stack<nint>? stack))
        {
            lists[rounded] = stack = new Stack<nint>();
        }
        stack.Push(pointer);
    }

    /// <summary>Frees every cached block (waits for the stream first: queued work may still use them).</summary>
    public void ReleaseCached()
    {
        lock (_gate)
        {
            _ = ShimNative.ecud_synchronize();
            foreach ((long size, Stack<nint> stack) in _free)
            {
                while (stack.Count > 0)
                {
                    _ = ShimNative.ecud_free(stack.Pop());
                    BytesReserved -= size;
                }
            }
            _free.Clear();
        }
    }

    private void Account(long rounded)
    {
        BytesInUse += rounded;
        PeakBytesInUse = Math.Max(PeakBytesInUse, BytesInUse);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            ReleaseCached();
            _disposed = true;
        }
    }
}
