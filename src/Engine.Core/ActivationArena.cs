namespace Engine.Core;

/// <summary>
/// Activation memory shared between layers during an inference forward pass. Before each layer runs
/// the network offers it a buffer that holds no output still to be read (<see cref="Offer"/>); after
/// it runs, <see cref="Completed"/> records which buffer the output lives in and frees the buffers of
/// inputs whose last reader that layer was. A chain of layers thus ping-pongs between two buffers
/// sized for the largest activation, instead of holding one buffer per layer.
/// </summary>
/// <remarks>
/// Which buffer holds an output is read from the tensor itself (its storage), not planned ahead:
/// a layer may decline the offer (its own memory: nothing to track) or return a view of its input
/// (flatten, dropout at inference: the input's buffer then stays alive for the view's readers too).
/// Buffers only grow and are kept between passes, so steady-state inference allocates nothing.
/// A pass may also borrow spare buffers (the network's gradient memory, idle between backward
/// passes): one is offered only for an output it already has room for, so a borrowed buffer never
/// grows (its memory stays where a captured training step expects it).
/// </remarks>
internal sealed class ActivationArena(IReadOnlyList<int[]> inputs) : IDisposable
{
    private readonly List<TensorBuffer> _own = [];
    private readonly List<TensorBuffer> _buffers = []; // this pass's: the borrowed ones, then the own ones
    private readonly List<int> _liveOutputs = []; // per buffer: outputs in it that are still to be read
    private readonly int[] _holder = new int[inputs.Count];    // per layer: the buffer of its output, −1: none
    private readonly int[] _readsLeft = new int[inputs.Count]; // per layer: readers of its output still to run
    private IBackend? _backend;
    private DataType _dataType;
    private int _borrowed;

    /// <summary>The arena's own buffers (not the borrowed ones), idle between passes.</summary>
    public IReadOnlyList<TensorBuffer> OwnBuffers => _own;

    /// <summary>Total bytes held by the arena's own buffers (not the borrowed ones).</summary>
    public long CapacityBytes => _own.Sum(b => b.CapacityBytes);

    /// <summary>
    /// Starts a pass whose activations live on <paramref name="backend"/> in <paramref name="dataType"/>,
    /// borrowing those of <paramref name="spare"/> and <paramref name="moreSpare"/> that are bound to both
    /// (nobody may use them during the pass).
    /// </summary>
    public void Begin(IBackend backend, DataType dataType, IReadOnlyList<TensorBuffer> spare, IReadOnlyList<TensorBuffer> moreSpare)
    {
        if (!ReferenceEquals(backend, _backend) || dataType != _dataType)
        {
            Dispose();
            (_backend, _dataType) = (backend, dataType);
        }
        _buffers.Clear();
        _liveOutputs.Clear();
        Borrow(spare, backend, dataType);
        Borrow(moreSpare, backend, dataType);
        _borrowed = _buffers.Count;
        _buffers.AddRange(_own);
        Array.Fill(_holder, -1);
        Array.Clear(_readsLeft);
        foreach (int[] sources in inputs)
        {
            foreach (int source in sources)
            {
                if (source >= 0)
                {
                    _readsLeft[source]++;
                }
            }
        }
        for (int b = 0; b < _buffers.Count; b++)
        {
            _liveOutputs.Add(0);
        }
    }

    /// <summary>
    /// A buffer whose contents no later layer needs, for an output of <paramref name="bytes"/> bytes
    /// (a borrowed buffer only when it holds that many already; created when every buffer is in use).
    /// </summary>
    public TensorBuffer Offer(long bytes)
    {
        for (int b = 0; b < _buffers.Count; b++)
        {
            if (_liveOutputs[b] == 0 && (b >= _borrowed || _buffers[b].CapacityBytes >= bytes))
            {
                return _buffers[b];
            }
        }
        var buffer = new TensorBuffer(_backend!, _dataType);
        _own.Add(buffer);
        _buffers.Add(buffer);
        _liveOutputs.Add(0);
        return buffer;
    }

    /// <summary>Records that <paramref name="layer"/> produced <paramref name="output"/> and has read its inputs.</summary>
    public void Completed(int layer, Tensor output)
    {
        int holder = -1;
        for (int b = 0; b < _buffers.Count; b++)
        {
            if (_buffers[b].Holds(output))
            {
                holder = b;
                break;
            }
        }
        _holder[layer] = holder;
        bool isNetworkOutput = layer == inputs.Count - 1;
        if (holder >= 0 && (_readsLeft[layer] > 0 || isNetworkOutput))
        {
            _liveOutputs[holder]++;
        }
        foreach (int source in inputs[layer])
        {
            if (source >= 0 && --_readsLeft[source] == 0 && _holder[source] >= 0)
            {
                _liveOutputs[_holder[source]]--;
            }
        }
    }

    private void Borrow(IReadOnlyList<TensorBuffer> spare, IBackend backend, DataType dataType)
    {
        for (int b = 0; b < spare.Count; b++)
        {
            if (spare[b].IsBoundTo(backend, dataType))
            {
                _buffers.Add(spare[b]);
            }
        }
    }

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (TensorBuffer buffer in _own)
        {
            buffer.Dispose();
        }
        _own.Clear();
        _buffers.Clear();
        _liveOutputs.Clear();
        _borrowed = 0;
    }
}
