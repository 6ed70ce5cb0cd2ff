namespace Engine.Core;

/// <summary>
/// Double-buffered backend staging for batches: two sets of tensors (inputs N×sample and
/// <see cref="DataType.Int32"/> labels N) sized once for the largest batch, used in turn, so that on
/// a backend that queues work the upload of batch t+1 goes to memory step t is not reading and can
/// overlap it (on the CPU it is a plain copy). A smaller batch (the last of an epoch) is a view of
/// the first rows of the full-size tensors: nothing is freed or reallocated as the size changes.
/// </summary>
internal sealed class BatchTensors : IDisposable
{
    private readonly Set[] _sets;
    private int _next;

    public BatchTensors(IBackend backend, ImageDataset data, int maxBatchSize)
    {
        _sets = [new Set(backend, data.SampleShape, maxBatchSize), new Set(backend, data.SampleShape, maxBatchSize)];
    }

    /// <summary>
    /// Copies <paramref name="batch"/> to the backend into the set not used by the previous upload;
    /// the tensors stay owned by this object and are valid until the upload after next.
    /// </summary>
    public (Tensor Inputs, Tensor Labels) Upload(HostBatch batch)
    {
        Set set = _sets[_next];
        _next ^= 1;
        var (inputs, labels) = set.Sized(batch.Count);
        IBackend backend = inputs.Backend;
        backend.CopyFromHost<float>(batch.Inputs.AsSpan(0, (int)inputs.ElementCount), inputs);
        backend.CopyFromHost<int>(batch.Labels.AsSpan(0, batch.Count), labels);
        return (inputs, labels);
    }

    public void Dispose()
    {
        foreach (Set set in _sets)
        {
            set.Dispose();
        }
    }

    private sealed class Set(IBackend backend, Shape sampleShape, int capacity) : IDisposable
    {
        private readonly Tensor _inputs = backend.Allocate(sampleShape.WithBatch(capacity));
        private readonly Tensor _labels = backend.Allocate(new Shape(capacity), DataType.Int32);

        // The views of the latest smaller size, kept so that a repeated size allocates nothing.
        private (int Count, Tensor Inputs, Tensor Labels) _view;

        public (Tensor Inputs, Tensor Labels) Sized(int count)
        {
            if (count == capacity)
            {
                return (_inputs, _labels);
            }
            if (_view.Count != count)
            {
                _view = (count,
                    new Tensor(_inputs.Backend, _inputs.Storage, sampleShape.WithBatch(count), _inputs.DataType, ownsStorage: false),
                    new Tensor(_labels.Backend, _labels.Storage, new Shape(count), DataType.Int32, ownsStorage: false));
            }
            return (_view.Inputs, _view.Labels);
        }

        public void Dispose()
        {
            _inputs.Dispose();
            _labels.Dispose();
        }
    }
}
