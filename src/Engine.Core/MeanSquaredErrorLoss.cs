namespace Engine.Core;

/// <summary>
/// Mean squared error over every element, as PyTorch's MSELoss with its default mean reduction:
/// loss = Σ (y − ŷ)² / count, gradient = 2(y − ŷ) / count, where count is N·K (so it is a mean over
/// the batch of per-sample means).
/// Targets may also be <see cref="DataType.Int32"/> class indices, one per row of N×K predictions:
/// they are expanded to one-hot rows on the backend (<see cref="IBackend.OneHot"/>, into a buffer made
/// once), so the result is bit for bit that of the one-hot targets.
/// </summary>
public sealed class MeanSquaredErrorLoss : ILoss
{
    private readonly TensorBuffer _gradient = new();
    private readonly TensorBuffer _oneHot = new(); // class-index targets expanded
    private readonly TensorBuffer _squares = new();
    private readonly TensorBuffer _value = new();

    /// <inheritdoc/>
    public string Name => "mse";

    /// <inheritdoc/>
    public IEnumerable<OpDescriptor> RequiredOps(Shape predictionShape, DataType dataType) =>
        LossOps.Describe(dataType, BackendOp.OneHot, BackendOp.Binary, BackendOp.Unary, BackendOp.Sum, BackendOp.Axpby);

    /// <inheritdoc/>
    public LossOutput Compute(Tensor predictions, Tensor targets)
    {
        targets = LossOps.Targets(Name, predictions, targets, _oneHot);
        if (predictions.Shape != targets.Shape || predictions.Shape.Rank == 0 || predictions.ElementCount == 0)
        {
            throw new ShapeException($"loss '{Name}': predictions {predictions.Shape} and targets {targets.Shape} must have the same, non-empty shape");
        }
        IBackend backend = predictions.Backend;
        DataType type = predictions.DataType;
        Tensor gradient = _gradient.Get(backend, type, predictions.Shape);
        Tensor squares = _squares.Get(backend, type, predictions.Shape);
        Tensor value = _value.Scalar(backend, type);
        double count = predictions.ElementCount;

        backend.Binary(BinaryOp.Subtract, predictions, targets, gradient);
        backend.Unary(UnaryOp.Square, gradient, squares);
        backend.Sum(squares, value);
        backend.Axpby(1 / count, value, 0, value);
        backend.Axpby(2 / count, gradient, 0, gradient);
        return new LossOutput(value, gradient);
    }

    /// <summary>Frees the loss's tensors.</summary>
    public void Dispose()
    {
        _gradient.Dispose();
        _oneHot.Dispose();
        _squares.Dispose();
        _value.Dispose();
    }
}
