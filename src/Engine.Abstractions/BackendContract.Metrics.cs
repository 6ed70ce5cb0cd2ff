namespace Engine;

/// <summary>
/// The ops that let a training step report without a host read: one-hot targets from class
/// indices, running loss and top-k/confusion counts, and clipping by a norm that stays on the
/// backend. Labels are the only <see cref="DataType.Int32"/> operands an op computes with.
/// </summary>
public static partial class BackendContract
{
    /// <summary><see cref="IBackend.OneHot"/>: labels (N, Int32) and y (N×K, floating point) are owned by the backend and there is one label per row. A label outside [0, K) gives a row of zeros (a device cannot throw).</summary>
    public static void OneHot(IBackend backend, Tensor labels, Tensor y)
    {
        const string op = "OneHot";
        Owned(backend, op, "labels", labels);
        Owned(backend, op, "y", y);
        Written(y);
        LabelRows(op, "y", y, labels);
    }

    /// <summary><see cref="IBackend.AccumulateLoss"/>: value is one floating-point element, accumulator two Float64 elements, the weight finite and the step in [1, 2^53]. acc[0] += weight·value; acc[1] keeps the first step whose value was not finite.</summary>
    public static void AccumulateLoss(IBackend backend, Tensor value, double weight, long step, Tensor accumulator)
    {
        const string op = "AccumulateLoss";
        Owned(backend, op, "value", value);
        Owned(backend, op, "accumulator", accumulator);
        Written(accumulator);
        FloatingPoint(op, "value", value);
        Count(op, "value", value, 1);
        OfType(op, "accumulator", accumulator, DataType.Float64);
        Count(op, "accumulator", accumulator, 2);
        if (!double.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"{op}: the weight must be finite");
        }
        if (step < 1 || step > (1L << 53))
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"{op}: the step must be in [1, 2^53] (it is stored as a double)");
        }
    }

    /// <summary><see cref="IBackend.AccumulateTopK"/>: logits (N×K, floating point), labels (N, Int32) and counts (Float64, at least one element: top-1, top-2, …). Rank = the logits greater than the label's, equal to it at a lower index, or NaN; a NaN own logit or a label outside [0, K) never counts.</summary>
    public static void AccumulateTopK(IBackend backend, Tensor logits, Tensor labels, Tensor counts)
    {
        const string op = "AccumulateTopK";
        Owned(backend, op, "logits", logits);
        Owned(backend, op, "labels", labels);
        Owned(backend, op, "counts", counts);
        Written(counts);
        LabelRows(op, "logits", logits, labels);
        OfType(op, "counts", counts, DataType.Float64);
        if (counts.ElementCount < 1)
        {
            throw new ShapeException($"{op}: counts {Describe(counts)}; it needs one element per k (at least top-1)");
        }
    }

    /// <summary><see cref="IBackend.AccumulateConfusion"/>: logits (N×K, floating point), labels (N, Int32) and matrix (K×K Float64, rows the true class). Prediction = the first NaN of a row, else its first maximum; labels outside [0, K) are skipped.</summary>
    public static void AccumulateConfusion(IBackend backend, Tensor logits, Tensor labels, Tensor matrix)
    {
        const string op = "AccumulateConfusion";
        Owned(backend, op, "logits", logits);
        Owned(backend, op, "labels", labels);
        Owned(backend, op, "matrix", matrix);
        Written(matrix);
        var (_, k) = LabelRows(op, "logits", logits, labels);
        OfType(op, "matrix", matrix, DataType.Float64);
        Count(op, "matrix", matrix, (long)k * k);
    }

    /// <summary><see cref="IBackend.SumOfSquares"/>: x is a floating-point operand, accumulator one Float64 element and β finite. acc ← β·acc + Σ x² in double (β = 0 ignores the old value, NaN included).</summary>
    public static void SumOfSquares(IBackend backend, Tensor x, Tensor accumulator, double beta)
    {
        const string op = "SumOfSquares";
        Owned(backend, op, "x", x);
        Owned(backend, op, "accumulator", accumulator);
        Written(accumulator);
        FloatingPoint(op, "x", x);
        OfType(op, "accumulator", accumulator, DataType.Float64);
        Count(op, "accumulator", accumulator, 1);
        if (!double.IsFinite(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"{op}: β must be finite");
        }
    }

    /// <summary><see cref="IBackend.ClipToNorm"/>: sumOfSquares is one Float64 element, x a floating-point operand and maxNorm &gt; 0. x is scaled by maxNorm/√s only when s is finite and √s &gt; maxNorm.</summary>
    public static void ClipToNorm(IBackend backend, Tensor sumOfSquares, double maxNorm, Tensor x)
    {
        const string op = "ClipToNorm";
        Owned(backend, op, "sumOfSquares", sumOfSquares);
        Owned(backend, op, "x", x);
        Written(x);
        OfType(op, "sumOfSquares", sumOfSquares, DataType.Float64);
        Count(op, "sumOfSquares", sumOfSquares, 1);
        FloatingPoint(op, "x", x);
        if (!(maxNorm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"{op}: the maximum norm must be positive");
        }
    }
}
