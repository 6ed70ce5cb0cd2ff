namespace Engine.Core;

/// <summary>
/// Softmax followed by cross entropy, fused for stability: log p = log-softmax(z) never takes the
/// log of an underflowed probability. Loss = −(1/N) Σ t·log p; gradient = (softmax(z) − t)/N.
/// With label smoothing ε the targets become (1 − ε)·t + ε/K, as PyTorch's CrossEntropyLoss
/// (label_smoothing) does; rows of t must sum to 1 for the gradient formula to hold, which one-hot
/// rows and their smoothed versions do.
/// Targets may also be <see cref="DataType.Int32"/> class indices, one per row of N×K predictions:
/// they are expanded to one-hot rows on the backend (<see cref="IBackend.OneHot"/>, into a buffer made
/// once), so the result is bit for bit that of the one-hot targets.
/// </summary>
public sealed class SoftmaxCrossEntropyLoss : ILoss
{
    private readonly double _labelSmoothing;

    // Allocated on first use, on the predictions' backend, and reused while the shape stays the same.
    private Tensor? _logProbabilities;
    private Tensor? _gradient;
    private Tensor? _value;
    private readonly TensorSlot _smoothed = new();
    private readonly TensorSlot _oneHot = new(); // class-index targets expanded

    /// <summary>Creates the loss with label smoothing <paramref name="labelSmoothing"/> in [0, 1] (0: none).</summary>
    public SoftmaxCrossEntropyLoss(double labelSmoothing = 0)
    {
        if (!(labelSmoothing is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "softmax-cross-entropy: label smoothing must be in [0, 1]");
        }
        _labelSmoothing = labelSmoothing;
    }

    /// <inheritdoc/>
    public string Name => "softmax-cross-entropy";

    /// <inheritdoc/>
    public IEnumerable<OpDescriptor> RequiredOps(Shape predictionShape, DataType dataType) =>
        LossOps.Describe(dataType, BackendOp.OneHot, BackendOp.Memory, BackendOp.Axpby, BackendOp.Softmax, BackendOp.Unary, BackendOp.Binary, BackendOp.Sum);

    /// <inheritdoc/>
    public LossOutput Compute(Tensor predictions, Tensor targets)
    {
        targets = LossOps.Targets(Name, predictions, targets, _oneHot);
        if (predictions.Shape != targets.Shape || predictions.Shape.Rank != 2)
        {
            throw new ShapeException($"loss '{Name}': predictions {predictions.Shape} and targets {targets.Shape} must both be N×K");
        }
        int n = predictions.Shape[0];
        IBackend backend = predictions.Backend;
        if (_logProbabilities is null || _logProbabilities.Shape != predictions.Shape || _logProbabilities.DataType != predictions.DataType
            || _logProbabilities.Backend != backend)
        {
            FreeBuffers(); // not the slots: the targets may already be the one-hot slot's tensor
            _logProbabilities = backend.Allocate(predictions.Shape, predictions.DataType);
            _gradient = backend.Allocate(predictions.Shape, predictions.DataType);
            _value = backend.Allocate(new Shape(1), predictions.DataType);
        }
        if (_labelSmoothing > 0)
        {
            Tensor smoothed = _smoothed.Get(backend, predictions.DataType, predictions.Shape);
            backend.Fill(smoothed, _labelSmoothing / predictions.Shape[1]);
            backend.Axpby(1 - _labelSmoothing, targets, 1, smoothed);
            targets = smoothed;
        }
        backend.Softmax(predictions, _logProbabilities, log: true);
        // Gradient first: it reads log p before the buffer is reused for t·log p.
        backend.Unary(UnaryOp.Exp, _logProbabilities, _gradient!);
        backend.Axpby(-1.0 / n, targets, 1.0 / n, _gradient!);
        backend.Binary(BinaryOp.Multiply, targets, _logProbabilities, _logProbabilities);
        backend.Sum(_logProbabilities, _value!);
        backend.Axpby(-1.0 / n, _value!, 0, _value!);
        return new LossOutput(_value!, _gradient!);
    }

    /// <summary>Frees the loss's tensors.</summary>
    public void Dispose()
    {
        FreeBuffers();
        _smoothed.Dispose();
        _oneHot.Dispose();
    }

    private void FreeBuffers()
    {
        _value?.Dispose();
        _logProbabilities?.Dispose();
        _gradient?.Dispose();
        (_value, _logProbabilities, _gradient) = (null, null, null);
    }
}
