namespace Engine.Core;

/// <summary>
/// Gradient memory shared between layers during a backward pass. Gradient slot s + 1 holds
/// d(loss)/d(output of layer s) (slot 0: the model input); it is written by the layers reading that
/// output and read once, when layer s runs backward, after which it is dead. Before a layer runs
/// backward the network offers it a buffer that holds no live gradient (<see cref="Offer"/>); the
/// gradients it returns are then recorded in their slots (<see cref="Hold"/>) and the slot it read is
/// freed (<see cref="Release"/>). A chain of layers thus cycles through two or three buffers sized
/// for the largest gradient, instead of holding one input-gradient buffer per layer for the whole run.
/// </summary>
/// <remarks>
/// Which buffer holds a gradient is read from the tensor itself (its storage): a layer may decline
/// the offer (its own memory: nothing to track) or pass its output gradient on unchanged (an add, a
/// flatten view), and that buffer then stays alive for every slot holding it. The buffer offered to
/// the running layer stays out of later offers until <see cref="Settle"/>, so the sum buffer of an
/// output read by several layers is never the one holding the gradient being copied into it. The
/// decisions depend only on the order of calls, so every step of a run uses the same buffers for the
/// same gradients (a captured step graph replays them). Buffers only grow and are kept between passes.
/// </remarks>
internal sealed class GradientArena(int slots) : IDisposable
{
    private readonly List<TensorBuffer> _buffers = [];
    private readonly List<int> _liveSlots = []; // per buffer: gradient slots held in it
    private readonly int[] _holder = Enumerable.Repeat(-1, slots).ToArray(); // per slot: the buffer holding its gradient, −1: none
    private int _inFlight = -1; // the buffer last offered, until Settle
    private IBackend? _backend;
    private DataType _dataType;

    /// <summary>The buffers, which hold nothing anyone reads between backward passes (other than the input gradient when it was asked for).</summary>
    public IReadOnlyList<TensorBuffer> Buffers => _buffers;

    /// <summary>Total bytes held by the arena's buffers.</summary>
    public long CapacityBytes => _buffers.Sum(b => b.CapacityBytes);

    /// <summary>Starts a backward pass whose gradients live on <paramref name="backend"/> in <paramref name="dataType"/>.</summary>
    public void Begin(IBackend backend, DataType dataType)
    {
        if (!ReferenceEquals(backend, _backend) || dataType != _dataType)
        {
            Dispose();
            (_backend, _dataType) = (backend, dataType);
        }
        Array.Fill(_holder, -1);
        for (int b = 0; b < _liveSlots.Count; b++)
        {
            _liveSlots[b] = 0;
        }
        _inFlight = -1;
    }

    /// <summary>A buffer for the running layer's input gradient: it holds no live gradient, and is out of later offers until <see cref="Settle"/>.</summary>
    public TensorBuffer Offer()
    {
        _inFlight = Free();
        return _buffers[_inFlight];
    }

    /// <summary>A buffer for the sum of an output's gradients; the caller <see cref="Hold"/>s it at once.</summary>
    public TensorBuffer OfferSum() => _buffers[Free()];

    // A buffer holding no live gradient and not the running layer's (created when every buffer is in use).
    private int Free()
    {
        for (int b = 0; b < _buffers.Count; b++)
        {
            if (_liveSlots[b] == 0 && b != _inFlight)
            {
                return b;
            }
        }
        _buffers.Add(new TensorBuffer(_backend!, _dataType));
        _liveSlots.Add(0);
        return _buffers.Count - 1;
    }

    /// <summary>Ends the running layer's turn: the buffer offered to it is free again unless a slot holds it.</summary>
    public void Settle() => _inFlight = -1;

    /// <summary>Records that <paramref name="slot"/> now holds <paramref name="gradient"/> (nothing when it lives outside the arena).</summary>
    public void Hold(int slot, Tensor gradient)
    {
        for (int b = 0; b < _buffers.Count; b++)
        {
            if (_buffers[b].Holds(gradient))
            {
                _holder[slot] = b;
                _liveSlots[b]++;
                return;
            }
        }
    }

    /// <summary>Records that the gradient of <paramref name="slot"/> has been read for the last time.</summary>
    public void Release(int slot)
    {
        if (_holder[slot] >= 0)
        {
            _liveSlots[_holder[slot]]--;
            _holder[slot] = -1;
        }
    }

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (TensorBuffer buffer in _buffers)
        {
            buffer.Dispose();
        }
        _buffers.Clear();
        _liveSlots.Clear();
        _inFlight = -1;
    }
}
