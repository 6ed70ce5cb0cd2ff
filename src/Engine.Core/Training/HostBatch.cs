namespace Engine.Core;

/// <summary>
/// Host staging memory of one batch: inputs N×C×H×W, one-hot targets N×K and the labels, sized
/// once for the largest batch. Filled from a data set (on any thread), then uploaded.
/// </summary>
internal sealed class HostBatch
{
    private readonly int _sampleSize;
    private readonly int _classes;

    public HostBatch(ImageDataset data, int maxBatchSize)
    {
        _sampleSize = checked((int)data.SampleShape.ElementCount);
        _classes = data.ClassCount;
        Inputs = new float[checked(maxBatchSize * _sampleSize)];
        Targets = new float[checked(maxBatchSize * _classes)];
        Labels = new int[maxBatchSize];
    }

    public float[] Inputs { get; }

    public float[] Targets { get; }

    public int[] Labels { get; }

    /// <summary>Examples in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>When filling failed: the error, with the example and batch named.</summary>
    public Exception? Error { get; set; }

    /// <summary>Copies the examples at <paramref name="indices"/>; an error names the example that failed.</summary>
    public void Fill(ImageDataset data, ReadOnlySpan<int> indices, int batchNumber)
    {
        int n = indices.Length;
        Array.Clear(Targets, 0, n * _classes);
        for (int i = 0; i < n; i++)
        {
            int index = indices[i];
            try
            {
                data.CopySample(index, Inputs.AsSpan(i * _sampleSize, _sampleSize));
                int label = data.GetLabel(index);
                if ((uint)label >= (uint)_classes)
                {
                    throw new DataFormatException($"example {index}", $"label {label} is outside 0..{_classes - 1}");
                }
                Labels[i] = label;
                Targets[i * _classes + label] = 1f;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new EngineException($"loading example {index} (position {i} of batch {batchNumber + 1}) failed: {e.Message}", e);
            }
        }
        Count = n;
    }
}
