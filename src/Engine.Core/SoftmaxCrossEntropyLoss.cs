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

    // Allocated on first use, on the predictions' backend; they keep their capacity as the batch shrinks.
    private readonly TensorBuffer _logProbabilities = new();
    private readonly TensorBuffer _gradient = new();
    private readonly TensorBuffer _value = new();
    private readonly TensorBuffer _smoothed = new();
    private readonly TensorBuffer _oneHot = new(); // class-index targets expanded

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
        Tensor logProbabilities = _logProbabilities.Like(predictions);
        Tensor gradient = _gradient.Like(predictions);
        Tensor value = _value.Scalar(backend, predictions.DataType);
        if (_labelSmoothing > 0)
        {
            Tensor smoothed = _smoothed.Get(backend, predictions.DataType, predictions.Shape);
            backend.Fill(smoothed, _labelSmoothing / predictions.Shape[1]);
            backend.Axpby(1 - _labelSmoothing, targets, 1, smoothed);
            targets = smoothed;
        }
        backend.Softmax(predictions, logProbabilities, log: true);
        // Gradient first: it reads log p before the buffer is reused for t·log p.
        backend.Unary(UnaryOp.Exp, logProbabilities, gradient);
        backend.Axpby(-1.0 / n, targets, 1.0 / n, gradient);
        backend.Binary(BinaryOp.Multiply, targets, logProbabilities, logProbabilities);
        backend.Sum(logProbabilities, value);
        backend.Axpby(-1.0 / n, value, 0, value);
        return new LossOutput(value, gradient);
    }

    /// <summary>Frees the loss's tensors.</summary>
    public void Dispose()
    {
        _logProbabilities.Dispose();
        _gradient.Dispose();
        _value.Dispose();
        _smoothed.Dispose();
        _oneHot.Dispose();
    }
}
