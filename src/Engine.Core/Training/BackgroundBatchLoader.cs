namespace Engine.Core;

/// <summary>
/// Reads batches ahead on a producer thread: while the training thread computes step t, the
/// producer fills the host staging buffers of steps t+1 … t+depth (a bounded ring), and
/// <see cref="Next"/> uploads the next one on the calling thread (backends are used from one thread
/// only) into one of two alternating sets of backend tensors. Batches come in the order of the index list given to <see cref="Start(int[], int, int)"/>, so results are
/// the same as with <see cref="BatchLoader"/>. An error while reading an example is re-thrown by the
/// <see cref="Next"/> that would have returned its batch, naming the example. The ring, the tensors
/// and the thread are created once; a steady-state step allocates nothing.
/// </summary>
public sealed class BackgroundBatchLoader : IDisposable
{
    private readonly ImageDataset _data;
    private readonly HostBatch[] _ring;
    private readonly BatchTensors _tensors;
    private readonly int[] _labels;
    private readonly Thread _producer;
    private readonly object _gate = new();

    // Guarded by _gate. The producer fills batch _produced while _filling; batches _consumed ..
    // _produced − 1 are ready. A new Start bumps _generation so a batch being filled for an
    // abandoned job is dropped.
    private int[] _order = [];
    private int _orderLength;
    private int _batchSize = 1;
    private int _batchCount;
    private int[]? _bounds; // batch k is order[bounds[k] .. bounds[k + 1]) when batches differ in size
    private int _produced;
    private int _consumed;
    private int _generation;
    private bool _filling;
    private bool _disposed;
    private int _loaded;

    /// <summary>Prepares a ring of <paramref name="depth"/> staging buffers of up to <paramref name="maxBatchSize"/> examples.</summary>
    public BackgroundBatchLoader(IBackend backend, ImageDataset data, int maxBatchSize, int depth = 2)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        _data = data;
        _ring = new HostBatch[depth];
        for (int i = 0; i < depth; i++)
        {
            _ring[i] = new HostBatch(data, maxBatchSize);
        }
        _labels = new int[maxBatchSize];
        _tensors = new BatchTensors(backend, data, maxBatchSize);
        MaxBatchSize = maxBatchSize;
        _producer = new Thread(Produce) { IsBackground = true, Name = "engine batch producer" };
        _producer.Start();
    }

    /// <summary>Largest batch this loader holds.</summary>
    public int MaxBatchSize { get; }

    /// <summary>Number of batches of the current pass.</summary>
    public int BatchCount => _batchCount;

    /// <summary>Labels of the batch returned last.</summary>
    public ReadOnlySpan<int> Labels => _labels.AsSpan(0, _loaded);

    /// <summary>
    /// Begins a pass over the examples <paramref name="order"/>[0..<paramref name="count"/>) in
    /// batches of <paramref name="batchSize"/> (the last may be smaller). The array is read by the
    /// producer until the pass ends or another begins: do not change it meanwhile.
    /// </summary>
    public void Start(int[] order, int count, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, order.Length);
        if (batchSize < 1 || batchSize > MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size {batchSize} is outside 1..{MaxBatchSize}");
        }
        Begin(order, count, batchSize, bounds: null, (count + batchSize - 1) / batchSize);
    }

    /// <summary>
    /// Begins a pass of batches of varying sizes: batch k is <paramref name="order"/>[<paramref name="bounds"/>[k]
    /// .. <paramref name="bounds"/>[k + 1]), for the first <paramref name="boundCount"/> − 1 batches
    /// (each of 1 to <see cref="MaxBatchSize"/> examples). Neither array may change during the pass.
    /// </summary>
    public void Start(int[] order, int[] bounds, int boundCount)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(bounds);
        for (int k = 0; k + 1 < boundCount; k++)
        {
            if (bounds[k + 1] - bounds[k] is < 1 || bounds[k + 1] - bounds[k] > MaxBatchSize || bounds[k + 1] > order.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(bounds), $"batch {k} spans {bounds[k]}..{bounds[k + 1]}, outside 1..{MaxBatchSize} examples of {order.Length}");
            }
        }
        Begin(order, boundCount > 0 ? bounds[boundCount - 1] : 0, 1, bounds, Math.Max(0, boundCount - 1));
    }

    private void Begin(int[] order, int count, int batchSize, int[]? bounds, int batchCount)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _generation++;
            while (_filling)
            {
                Monitor.Wait(_gate); // never swap the job under a fill in progress
            }
            _order = order;
            _orderLength = count;
            _batchSize = batchSize;
            _bounds = bounds;
            _batchCount = batchCount;
            _produced = 0;
            _consumed = 0;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Waits for the next batch of the pass and uploads it: inputs N×sample and
    /// <see cref="DataType.Int32"/> class labels N (losses take them as targets). The tensors are owned
    /// by the loader and stay valid until the call after next: uploads alternate between two sets, so
    /// on a backend that queues work the copy of batch t+1 overlaps step t. Throws the producer's
    /// error, naming the example, if reading failed.
    /// </summary>
    public (Tensor Inputs, Tensor Labels) Next()
    {
        HostBatch batch;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_consumed >= _batchCount)
            {
                throw new InvalidOperationException($"all {_batchCount} batches of the pass have been read; call Start for another");
            }
            while (_produced <= _consumed)
            {
                Monitor.Wait(_gate);
            }
            batch = _ring[_consumed % _ring.Length];
        }
        try
        {
            if (batch.Error is { } error)
            {
                throw new EngineException(error.Message, error.InnerException ?? error);
            }
            batch.Labels.AsSpan(0, batch.Count).CopyTo(_labels);
            _loaded = batch.Count;
            return _tensors.Upload(batch);
        }
        finally
        {
            lock (_gate)
            {
                _consumed++;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Stops the producer thread and frees the tensors.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        _producer.Join();
        _tensors.Dispose();
    }

    private void Produce()
    {
        while (true)
        {
            int batchNumber, generation, start, count;
            int[] order;
            lock (_gate)
            {
                while (!_disposed && (_produced >= _batchCount || _produced - _consumed >= _ring.Length))
                {
                    Monitor.Wait(_gate);
                }
                if (_disposed)
                {
                    return;
                }
                batchNumber = _produced;
                generation = _generation;
                order = _order;
                start = _bounds is null ? batchNumber * _batchSize : _bounds[batchNumber];
                count = _bounds is null ? Math.Min(_batchSize, _orderLength - start) : _bounds[batchNumber + 1] - start;
                _filling = true;
            }
            HostBatch slot = _ring[batchNumber % _ring.Length];
            try
            {
                slot.Error = null;
                slot.Fill(_data, order.AsSpan(start, count), batchNumber);
            }
            catch (Exception e)
            {
                slot.Error = e; // re-thrown on the training thread by Next
            }
            lock (_gate)
            {
                _filling = false;
                if (generation == _generation)
                {
                    _produced++;
                }
                Monitor.PulseAll(_gate);
            }
        }
    }
}
