namespace Engine.Cli;

/// <summary>
/// A few consecutive batches of a data set (inputs N×sample and <see cref="DataType.Int32"/> class
/// labels N, as the trainer uploads them), copied to the backend once so that benchmark loops time the engine and not data loading.
/// </summary>
internal sealed class BenchBatches : IDisposable
{
    private readonly List<(Tensor Inputs, Tensor Labels)> _batches = [];

    /// <summary>Loads <paramref name="count"/> batches of <paramref name="batchSize"/> examples (wrapping around the data set).</summary>
    public BenchBatches(IBackend backend, ImageDataset data, int batchSize, int count)
    {
        int sampleSize = checked((int)data.SampleShape.ElementCount);
        var inputs = new float[batchSize * sampleSize];
        var labels = new int[batchSize];
        for (int b = 0; b < count; b++)
        {
            for (int i = 0; i < batchSize; i++)
            {
                int index = (b * batchSize + i) % data.Count;
                data.CopySample(index, inputs.AsSpan(i * sampleSize, sampleSize));
                labels[i] = data.GetLabel(index);
            }
            Tensor x = backend.Allocate(data.SampleShape.WithBatch(batchSize));
            Tensor t = backend.Allocate(new Shape(batchSize), DataType.Int32);
            backend.CopyFromHost<float>(inputs, x);
            backend.CopyFromHost<int>(labels, t);
            _batches.Add((x, t));
        }
    }

    /// <summary>Batch <paramref name="i"/> modulo the number held.</summary>
    public (Tensor Inputs, Tensor Labels) this[int i] => _batches[i % _batches.Count];

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var (x, t) in _batches)
        {
            x.Dispose();
            t.Dispose();
        }
        _batches.Clear();
    }
}
