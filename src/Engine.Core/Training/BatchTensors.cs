namespace Engine.Core;

/// <summary>
/// Double-buffered backend staging for batches: two sets of tensors (inputs N×sample and
/// <see cref="DataType.Int32"/> labels N) sized once for the largest batch, used in turn, so that on
/// a backend that queues work the upload of batch t+1 goes to memory step t is not reading and can
/// overlap it (on the CPU it is a plain copy). A smaller batch (the last of an epoch) is a view of
/// the first rows of the full-size tensors (<see cref="TensorBuffer"/>): nothing is freed or
/// reallocated as the size changes. A backend with <see cref="IBatchUpload"/> (the cuDNN one:
/// pinned host memory and a copy stream) gets the two sets as its two staging slots; there the work
/// reading a batch must be queued before the next upload (as every caller does: upload, then the step).
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
        int slot = _next;
        Set set = _sets[slot];
        _next ^= 1;
        var (inputs, labels) = set.Sized(batch.Count);
        ReadOnlySpan<float> inputValues = batch.Inputs.AsSpan(0, (int)inputs.ElementCount);
        ReadOnlySpan<int> labelValues = batch.Labels.AsSpan(0, batch.Count);
        // The storage's owner is the backend itself even when the tensors came through a decorator.
        if (inputs.Storage.Owner is IBatchUpload staged)
        {
            staged.UploadBatch(slot, inputValues, inputs, labelValues, labels);
            return (inputs, labels);
        }
        IBackend backend = inputs.Backend;
        backend.CopyFromHost(inputValues, inputs);
        backend.CopyFromHost(labelValues, labels);
        return (inputs, labels);
    }

    public void Dispose()
    {
        foreach (Set set in _sets)
        {
            set.Dispose();
        }
    }

    // One staging set: grow-only buffers (TensorBuffer) made full size at once, so a smaller batch is a
    // view of their first rows and nothing is freed or reallocated as the size changes.
    private sealed class Set : IDisposable
    {
        private static readonly Shape PerLabel = new(ReadOnlySpan<int>.Empty); // a label is a scalar: N labels are [N]
        private readonly Shape _sampleShape;
        private readonly TensorBuffer _inputs;
        private readonly TensorBuffer _labels;

        public Set(IBackend backend, Shape sampleShape, int capacity)
        {
            _sampleShape = sampleShape;
            _inputs = new TensorBuffer(backend, DataType.Float32);
            _labels = new TensorBuffer(backend, DataType.Int32);
            _inputs.ForBatch(capacity, sampleShape);
            _labels.ForBatch(capacity, PerLabel);
        }

        public (Tensor Inputs, Tensor Labels) Sized(int count) =>
            (_inputs.ForBatch(count, _sampleShape), _labels.ForBatch(count, PerLabel));

        public void Dispose()
        {
            _inputs.Dispose();
            _labels.Dispose();
        }
    }
}
