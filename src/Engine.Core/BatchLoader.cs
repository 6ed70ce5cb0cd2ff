namespace Engine.Core;

/// <summary>
/// Copies examples of an <see cref="ImageDataset"/> into backend tensors on the calling thread:
/// inputs N×C×H×W and <see cref="DataType.Int32"/> class labels N (losses take them as targets).
/// Host staging arrays and backend tensors are allocated once for the largest batch and reused, so a training loop allocates nothing per step. The trainer uses
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
        _tensors = new BatchTensors(backend, data, maxBatchSize);
    }

    /// <summary>Labels of the batch loaded last.</summary>
    public ReadOnlySpan<int> Labels => _staging.Labels.AsSpan(0, _staging.Count);

    /// <summary>
    /// Loads the examples at <paramref name="indices"/> (at most the largest batch); the tensors are
    /// owned by the loader and valid until the load after next (two sets are used in turn).
    /// </summary>
    public (Tensor Inputs, Tensor Labels) Load(ReadOnlySpan<int> indices)
    {
        _staging.Fill(_data, indices, _batchNumber++);
        return _tensors.Upload(_staging);
    }

    /// <summary>Frees the backend tensors.</summary>
    public void Dispose() => _tensors.Dispose();
}
