namespace Engine.Core;

/// <summary>
/// Softmax followed by cross entropy, fused for stability: log p = log-softmax(z) never takes the
/// log of an underflowed probability. Loss = −(1/N) Σ t·log p; gradient = (softmax(z) − t)/N.
/// </summary>
public sealed class SoftmaxCrossEntropyLoss : ILoss
{
    // Allocated on first use, on the predictions' backend, and reused while the shape stays the same.
    private Tensor? _logProbabilities;
    private Tensor? _gradient;
    private Tensor? _value;

    /// <inheritdoc/>
    public string Name => "softmax-cross-entropy";

    /// <inheritdoc/>
    public LossOutput Compute(Tensor predictions, Tensor targets)
    {
        if (predictions.Shape != targets.Shape || predictions.Shape.Rank != 2)
        {
            throw new ShapeException($"loss '{Name}': predictions {predictions.Shape} and targets {targets.Shape} must both be N×K");
        }
        int n = predictions.Shape[0];
        IBackend backend = predictions.Backend;
        if (_logProbabilities is null || _logProbabilities.Shape != predictions.Shape || _logProbabilities.DataType != predictions.DataType
            || _logProbabilities.Backend != backend)
        {
            Dispose();
            _logProbabilities = backend.Allocate(predictions.Shape, predictions.DataType);
            _gradient = backend.Allocate(predictions.Shape, predictions.DataType);
            _value = backend.Allocate(new Shape(1), predictions.DataType);
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
        _value?.Dispose();
        _logProbabilities?.Dispose();
        _gradient?.Dispose();
        (_value, _logProbabilities, _gradient) = (null, null, null);
    }
}
