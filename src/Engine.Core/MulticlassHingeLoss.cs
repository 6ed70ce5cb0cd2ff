namespace Engine.Core;

/// <summary>
/// Multi-class hinge (Weston–Watkins SVM) loss over scores s (N×K) and one-hot targets t:
/// loss = (1/N) Σᵢ Σ_{j≠yᵢ} max(0, s_ij − s_iyᵢ + margin). Unlike PyTorch's MultiMarginLoss it does
/// not divide by K. The gradient is a subgradient: 0 at the kink (a margin exactly met).
/// Targets may also be <see cref="DataType.Int32"/> class indices, one per row of N×K predictions:
/// they are expanded to one-hot rows on the backend (<see cref="IBackend.OneHot"/>, into a buffer made
/// once), so the result is bit for bit that of the one-hot targets.
/// </summary>
/// <remarks>
/// Written with backend primitives only, so it runs on any backend. The true-class score per row is
/// s_y = (s ⊙ t)·1 (a GEMM with a ones vector) and is broadcast back along the row by the outer
/// product s_y·1ᵀ (a second GEMM). With the violation indicator A = [M &gt; 0]⊙(1 − t), where
/// M = s − s_y·1ᵀ + margin, the gradient is (A − t ⊙ ((A·1)·1ᵀ)) / N: each violated margin pushes its
/// class up and the true class down.
/// </remarks>
public sealed class MulticlassHingeLoss : ILoss
{
    private readonly double _margin;
    private readonly TensorBuffer _ones = new();
    private readonly TensorBuffer _notTarget = new();
    private readonly TensorBuffer _margins = new();
    private readonly TensorBuffer _work = new();
    private readonly TensorBuffer _rowSums = new();
    private readonly TensorBuffer _gradient = new();
    private readonly TensorBuffer _oneHot = new(); // class-index targets expanded
    private readonly TensorBuffer _value = new();

    /// <summary>Creates the loss with <paramref name="margin"/> (≥ 0; 1 is usual).</summary>
    public MulticlassHingeLoss(double margin = 1)
    {
        if (!double.IsFinite(margin) || margin < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "multiclass-hinge: the margin must be a finite number ≥ 0");
        }
        _margin = margin;
    }

    /// <inheritdoc/>
    public string Name => "multiclass-hinge";

    /// <inheritdoc/>
    public IEnumerable<OpDescriptor> RequiredOps(Shape predictionShape, DataType dataType) =>
        LossOps.Describe(dataType, BackendOp.OneHot, BackendOp.Memory, BackendOp.Axpby, BackendOp.Binary, BackendOp.Gemm, BackendOp.Unary, BackendOp.Sum, BackendOp.ActivationBackward);

    /// <inheritdoc/>
    public LossOutput Compute(Tensor predictions, Tensor targets)
    {
        targets = LossOps.Targets(Name, predictions, targets, _oneHot);
        if (predictions.Shape != targets.Shape || predictions.Shape.Rank != 2 || predictions.ElementCount == 0)
        {
            throw new ShapeException($"loss '{Name}': predictions {predictions.Shape} and targets {targets.Shape} must both be N×K");
        }
        IBackend backend = predictions.Backend;
        DataType type = predictions.DataType;
        int n = predictions.Shape[0], k = predictions.Shape[1];
        Tensor ones = _ones.Get(backend, type, k, 1);
        Tensor notTarget = _notTarget.Get(backend, type, n, k);
        Tensor margins = _margins.Get(backend, type, n, k);
        Tensor work = _work.Get(backend, type, n, k);
        Tensor rowSums = _rowSums.Get(backend, type, n, 1);
        Tensor gradient = _gradient.Get(backend, type, n, k);
        Tensor value = _value.Scalar(backend, type);

        backend.Fill(ones, 1);
        backend.Fill(notTarget, 1);
        backend.Axpby(-1, targets, 1, notTarget);

        // M = s − (s_y·1ᵀ − margin): the GEMM adds the broadcast true-class score to −margin.
        backend.Binary(BinaryOp.Multiply, predictions, targets, work);
        backend.Gemm(false, false, 1, work, ones, 0, rowSums);
        backend.Fill(work, -_margin);
        backend.Gemm(false, true, 1, rowSums, ones, 1, work);
        backend.Binary(BinaryOp.Subtract, predictions, work, margins);

        // Hinge terms, the true class masked out (its own margin would count `margin` per row).
        backend.Unary(UnaryOp.Relu, margins, work);
        backend.Binary(BinaryOp.Multiply, work, notTarget, work);
        backend.Sum(work, value);
        backend.Axpby(1.0 / n, value, 0, value);

        // A = (1 − t)⊙[M > 0] is ReLU's backward with (1 − t) as the incoming gradient.
        backend.ActivationBackward(Activation.Relu, margins, work, notTarget, gradient);
        backend.Gemm(false, false, 1, gradient, ones, 0, rowSums);
        backend.Gemm(false, true, 1, rowSums, ones, 0, work);
        backend.Binary(BinaryOp.Multiply, work, targets, work);
        backend.Binary(BinaryOp.Subtract, gradient, work, gradient);
        backend.Axpby(1.0 / n, gradient, 0, gradient);
        return new LossOutput(value, gradient);
    }

    /// <summary>Frees the loss's tensors.</summary>
    public void Dispose()
    {
        _ones.Dispose();
        _notTarget.Dispose();
        _margins.Dispose();
        _work.Dispose();
        _rowSums.Dispose();
        _gradient.Dispose();
        _oneHot.Dispose();
        _value.Dispose();
    }
}
