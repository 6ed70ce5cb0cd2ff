namespace Engine.Core;

/// <summary>
/// Copies examples of an <see cref="ImageDataset"/> into backend tensors: inputs N×C×H×W and
/// one-hot targets N×K. Host staging arrays and backend tensors are allocated once per batch size
/// and reused, so a training loop allocates nothing per step.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    private readonly IBackend _backend;
    private readonly ImageDataset _data;
    private readonly int _sampleSize;
    private readonly float[] _inputs;
    private readonly float[] _targets;
    private readonly int[] _labels;
    private readonly Dictionary<int, (Tensor Inputs, Tensor Targets)> _tensors = [];

    /// <summary>Prepares to load batches of up to <paramref name="maxBatchSize"/> examples.</summary>
    public BatchLoader(IBackend backend, ImageDataset data, int maxBatchSize)
    {
        _backend = backend;
        _data = data;
        _sampleSize = checked((int)data.SampleShape.ElementCount);
        _inputs = new float[maxBatchSize * _sampleSize];
        _targets = new float[maxBatchSize * data.ClassCount];
        _labels = new int[maxBatchSize];
    }

    /// <summary>Labels of the batch loaded last.</summary>
    public ReadOnlySpan<int> Labels => _labels.AsSpan(0, _loaded);

    private int _loaded;

    /// <summary>Loads the examples at <paramref name="indices"/>; the tensors are owned by the loader.</summary>
    public (Tensor Inputs, Tensor Targets) Load(ReadOnlySpan<int> indices)
    {
        int n = indices.Length;
        int classes = _data.ClassCount;
        Array.Clear(_targets, 0, n * classes);
        for (int i = 0; i < n; i++)
        {
            _data.CopySample(indices[i], _inputs.AsSpan(i * _sampleSize, _sampleSize));
            int label = _data.GetLabel(indices[i]);
            _labels[i] = label;
            _targets[i * classes + label] = 1f;
        }
        _loaded = n;
        if (!_tensors.TryGetValue(n, out var tensors))
        {
            tensors = (_backend.Allocate(_data.SampleShape.WithBatch(n)), _backend.Allocate(new Shape(n, classes)));
            _tensors[n] = tensors;
        }
        _backend.CopyFromHost<float>(_inputs.AsSpan(0, n * _sampleSize), tensors.Inputs);
        _backend.CopyFromHost<float>(_targets.AsSpan(0, n * classes), tensors.Targets);
        return tensors;
    }

    /// <summary>Frees the backend tensors.</summary>
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
