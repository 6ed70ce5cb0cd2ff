namespace Engine.Core;

/// <summary>
/// Copies examples of an <see cref="ImageDataset"/> into backend tensors on the calling thread:
/// inputs N×C×H×W and one-hot targets N×K. Host staging arrays and backend tensors are allocated
/// once per batch size and reused, so a training loop allocates nothing per step. The trainer uses
/// <see cref="BackgroundBatchLoader"/>, which reads ahead on a thread of its own; this one is the
/// plain reference it is checked against.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    private readonly ImageDataset _data;
    private readonly HostBatch _staging;
    private readonly BatchTensors _tensors;
    private int _batchNumber;

    /// <summary>Prepares to load batches of up to <paramref name="maxBatchSize"/> examples.</summary>
    public BatchLoader(IBackend backend, ImageDataset data, int maxBatchSize)
    {
        _data = data;
        _staging = new HostBatch(data, maxBatchSize);
        _tensors = new BatchTensors(backend, data);
    }

    /// <summary>Labels of the batch loaded last.</summary>
    public ReadOnlySpan<int> Labels => _staging.Labels.AsSpan(0, _staging.Count);

    /// <summary>Loads the examples at <paramref name="indices"/>; the tensors are owned by the loader.</summary>
    public (Tensor Inputs, Tensor Targets) Load(ReadOnlySpan<int> indices)
    {
        _staging.Fill(_data, indices, _batchNumber++);
        return _tensors.Upload(_staging);
    }

    /// <summary>Frees the backend tensors.</summary>
    public void Dispose() => _tensors.Dispose();
}
