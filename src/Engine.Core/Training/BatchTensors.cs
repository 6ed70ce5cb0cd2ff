namespace Engine.Core;

/// <summary>
/// Backend tensors for batches of each size met (in practice two: the full batch and the last
/// one of an epoch), allocated on first use and reused, so uploading allocates nothing.
/// </summary>
internal sealed class BatchTensors(IBackend backend, ImageDataset data) : IDisposable
{
    private readonly Dictionary<int, (Tensor Inputs, Tensor Targets)> _tensors = [];

    /// <summary>Copies <paramref name="batch"/> to the backend; the tensors stay owned by this object.</summary>
    public (Tensor Inputs, Tensor Targets) Upload(HostBatch batch)
    {
        int n = batch.Count;
        if (!_tensors.TryGetValue(n, out var tensors))
        {
            tensors = (backend.Allocate(data.SampleShape.WithBatch(n)), backend.Allocate(new Shape(n, data.ClassCount)));
            _tensors[n] = tensors;
        }
        backend.CopyFromHost<float>(batch.Inputs.AsSpan(0, (int)tensors.Inputs.ElementCount), tensors.Inputs);
        backend.CopyFromHost<float>(batch.Targets.AsSpan(0, (int)tensors.Targets.ElementCount), tensors.Targets);
        return tensors;
    }

    public void Dispose()
    {
        foreach (var (inputs, targets) in _tensors.Values)
        {
            inputs.Dispose();
            targets.Dispose();
        }
        _tensors.Clear();
    }
}
