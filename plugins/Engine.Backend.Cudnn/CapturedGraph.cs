using Engine.Backend.Cudnn.Kernels;

namespace Engine.Backend.Cudnn;

/// <summary>
/// A training step captured as a CUDA graph (<see cref="CudnnBackend.BeginCapture"/>), with its table
/// of per-step values: the learning rate, bias corrections and first-step flags of the optimiser
/// updates, the step number of the loss accumulator, dropout seeds. The recorded kernels read them
/// from the table's device copy (kernels/*: the <c>_dev</c> variants), so a replay uses the values
/// that the update pass (<see cref="BeginUpdate"/>) wrote for this step, not the captured ones.
/// </summary>
internal sealed unsafe class CapturedGraph : ICapturedStep
{
    /// <summary>Per-step values one graph can hold (an Adam update uses 10; ResNet-50 has 161 parameters).</summary>
    internal const int Capacity = 16384;

    private readonly CudnnBackend _backend;
    private readonly DeviceAllocator _allocator;
    private readonly Tensor _device; // the table on the device, read by the graph
    private readonly ulong[] _values = new ulong[Capacity];
    private readonly List<int> _lengths = []; // each slot's length, in recording order
    private List<(nint Pointer, long Rounded)> _held = [];
    private nint _graph;
    private int _used, _cursor, _slot;
    private int _replays;
    private bool _disposed;

    internal CapturedGraph(CudnnBackend backend, DeviceAllocator allocator)
    {
        _backend = backend;
        _allocator = allocator;
        _device = backend.Allocate(new Shape(Capacity), DataType.Float64); // before the capture: no allocation inside it
    }

    internal enum Phase
    {
        Capturing,
        Updating,
        Idle,
    }

    internal Phase State { get; private set; } = Phase.Capturing;

    /// <inheritdoc/>
    public bool Replayable { get; private set; } = true;

    /// <summary>Why the step is not replayable (null while it is).</summary>
    internal string? NotReplayableBecause { get; private set; }

    /// <summary>
    /// The device address of this call's per-step values: while capturing a new slot holding them;
    /// while updating the call's slot (same order, same length), overwritten.
    /// </summary>
    internal DevicePointer Values(string call, ReadOnlySpan<double> values)
    {
        Span<ulong> bits = stackalloc ulong[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = BitConverter.DoubleToUInt64Bits(values[i]);
        }
        return Bits(call, bits);
    }

    /// <summary><see cref="Values"/> for raw 64-bit values (a seed).</summary>
    internal DevicePointer Bits(string call, ReadOnlySpan<ulong> bits)
    {
        int offset;
        if (State == Phase.Capturing)
        {
            if (_used + bits.Length > Capacity)
            {
                throw new BackendException($"cudnn: the captured step has more than {Capacity} per-step values ({call}); run with --no-cuda-graphs");
            }
            offset = _used;
            _used += bits.Length;
            _lengths.Add(bits.Length);
        }
        else
        {
            if (_slot >= _lengths.Count || _lengths[_slot] != bits.Length)
            {
                throw new BackendException($"cudnn: the update pass of a captured step called {call} as value slot {_slot}, which the captured step " +
                    (_slot >= _lengths.Count ? $"does not have ({_lengths.Count} slots)" : $"recorded with {_lengths[_slot]} values, not {bits.Length}"));
            }
            offset = _cursor;
            _cursor += bits.Length;
            _slot++;
        }
        bits.CopyTo(_values.AsSpan(offset));
        return new DevicePointer(CudnnBackend.Ptr(_device).Address + (offset * sizeof(ulong)));
    }

    /// <summary>Marks the step as not replayable (it recorded a value the update pass does not refresh).</summary>
    internal void NotReplayable(string reason)
    {
        Replayable = false;
        NotReplayableBecause ??= reason;
    }

    /// <summary>Ends the capture: the graph and the blocks freed while capturing are this step's now.</summary>
    internal void Captured(nint graph, List<(nint Pointer, long Rounded)> held)
    {
        _graph = graph;
        _held = held;
        State = Phase.Idle;
    }

    /// <inheritdoc/>
    public void BeginUpdate()
    {
        ObjectDisposedException.ThrowIf(_graph == 0, this);
        if (!Replayable)
        {
            throw new BackendException($"cudnn: this captured step cannot be replayed with new values: {NotReplayableBecause}");
        }
        _backend.BeginUpdate(this);
        State = Phase.Updating;
        _cursor = 0;
        _slot = 0;
    }

    /// <inheritdoc/>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(_graph == 0, this);
        if (State == Phase.Updating)
        {
            _backend.EndUpdate(this);
            State = Phase.Idle;
            if (_slot != _lengths.Count)
            {
                throw new BackendException($"cudnn: the update pass of a captured step set {_slot} of its {_lengths.Count} value slots");
            }
        }
        else if (!Replayable && _replays > 0)
        {
            throw new BackendException($"cudnn: this captured step can run only once: {NotReplayableBecause}");
        }
        fixed (ulong* v = _values)
        {
            // Ordered before the graph on the one stream; from pageable memory the call returns once the values are staged.
            ShimLibrary.Check(ShimNative.ecud_copy_to_device(CudnnBackend.Ptr(_device).Address, v, (nuint)(_used * sizeof(ulong))), "replaying a captured step (its values)");
        }
        ShimLibrary.Check(ShimNative.ecud_graph_launch(_graph), "replaying a captured step");
        _replays++;
    }

    /// <summary>Destroys the graph and gives its memory back (the graph is no longer queued: the stream is synchronised first).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_graph != 0)
        {
            _ = ShimNative.ecud_synchronize();
            _ = ShimNative.ecud_graph_destroy(_graph);
            _graph = 0;
        }
        _allocator.ReleaseHeld(_held);
        _device.Dispose();
    }
}
