namespace Engine.Core;

/// <summary>
/// Host staging memory of one batch: inputs N×C×H×W and the class labels, sized once for the
/// largest batch. Filled from a data set (on any thread), then uploaded. Targets are not built
/// here: the labels go to the backend as <see cref="DataType.Int32"/> class indices and the loss
/// expands them (N integers to copy instead of N×K floats).
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
        Labels = new int[maxBatchSize];
    }

    public float[] Inputs { get; }

    public int[] Labels { get; }

    /// <summary>Examples in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>When filling failed: the error, with the example and batch named.</summary>
    public Exception? Error { get; set; }

    /// <summary>Copies the examples at <paramref name="indices"/>; an error names the example that failed.</summary>
    public void Fill(ImageDataset data, ReadOnlySpan<int> indices, int batchNumber)
    {
        int n = indices.Length;
        for (int i = 0; i < n; i++)
        {
            int index = indices[i];
            try
            {
                data.CopySample(index, Inputs.AsSpan(i * _sampleSize, _sampleSize));
                int label = data.GetLabel(index);
                if ((uint)label >= (uint)_classes)
                {
                    // Checked here, on the host: a backend's OneHot cannot throw and would give a row of zeros.
                    throw new DataFormatException($"example {index}", $"label {label} is outside 0..{_classes - 1}");
                }
                Labels[i] = label;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new EngineException($"loading example {index} (position {i} of batch {batchNumber + 1}) failed: {e.Message}", e);
            }
        }
        Count = n;
    }
}
