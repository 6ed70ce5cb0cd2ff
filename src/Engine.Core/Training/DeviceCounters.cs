namespace Engine.Core;

/// <summary>
/// <see cref="DataType.Float64"/> accumulators that live on the backend (running loss, top-k
/// counts, a confusion matrix) and are read together with ONE host copy: each part is its own
/// tensor, as the accumulate ops want, and <see cref="Read"/> first gathers them on the backend
/// into one contiguous tensor (<see cref="IBackend.CopyChannels"/> on 1×count views), then copies
/// that. Made once; resetting and reading allocate nothing.
/// </summary>
internal sealed class DeviceCounters : IDisposable
{
    private readonly IBackend _backend;
    private readonly Tensor[] _parts;
    private readonly Tensor[] _partRows;
    private readonly int[] _offsets;
    private readonly Tensor _gathered;
    private readonly Tensor _gatheredRow;
    private readonly double[] _host;

    /// <summary>One accumulator per entry of <paramref name="sizes"/> (element counts).</summary>
    public DeviceCounters(IBackend backend, params int[] sizes)
    {
        _backend = backend;
        _parts = new Tensor[sizes.Length];
        _partRows = new Tensor[sizes.Length];
        _offsets = new int[sizes.Length];
        int total = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            _parts[i] = backend.Allocate(new Shape(sizes[i]), DataType.Float64);
            _partRows[i] = _parts[i].Reshape(new Shape(1, sizes[i]));
            _offsets[i] = total;
            total += sizes[i];
        }
        _gathered = backend.Allocate(new Shape(total), DataType.Float64);
        _gatheredRow = _gathered.Reshape(new Shape(1, total));
        _host = new double[total];
        Reset();
    }

    /// <summary>Accumulator <paramref name="index"/>, in the order given to the constructor.</summary>
    public Tensor this[int index] => _parts[index];

    /// <summary>Sets every accumulator to 0 (on the backend; no host read).</summary>
    public void Reset()
    {
        foreach (Tensor part in _parts)
        {
            _backend.Fill(part, 0);
        }
    }

    /// <summary>
    /// The accumulators' values, concatenated in constructor order, after one host read (which waits
    /// for the queued work). The span is this object's and valid until the next read.
    /// </summary>
    public ReadOnlySpan<double> Read()
    {
        if (_parts.Length == 1)
        {
            _backend.CopyToHost<double>(_parts[0], _host);
            return _host;
        }
        for (int i = 0; i < _parts.Length; i++)
        {
            _backend.CopyChannels(_partRows[i], 0, _gatheredRow, _offsets[i], (int)_parts[i].ElementCount);
        }
        _backend.CopyToHost<double>(_gathered, _host);
        return _host;
    }

    public void Dispose()
    {
        foreach (Tensor part in _parts)
        {
            part.Dispose();
        }
        _gathered.Dispose();
    }
}
