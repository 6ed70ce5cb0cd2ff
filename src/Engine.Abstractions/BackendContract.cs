using System.Globalization;

namespace Engine;

/// <summary>
/// The contract every backend keeps, in one place: argument validation and aliasing rules, with
/// messages that name the op, the operand and its shape. A backend calls the check for an op
/// before its kernel (a backend is kernels, not checks), so every backend refuses the same calls
/// with the same words, and the conformance kit can test the refusals once for all backends.
/// </summary>
public static partial class BackendContract
{
    /// <summary>
    /// Checks that <paramref name="tensor"/> is alive and was allocated by <paramref name="backend"/>
    /// (by its storage's owner, so tensors of a decorating backend over this one are accepted).
    /// </summary>
    public static void Owned(IBackend backend, string op, string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        IBackend owner = tensor.Storage.Owner ?? tensor.Backend;
        if (!ReferenceEquals(owner, backend))
        {
            string who = owner.Name == backend.Name ? $"another {owner.Name} backend instance" : $"backend '{owner.Name}'";
            throw new ArgumentException(
                $"{op}: {name} {tensor.Shape} belongs to {who}, not to this one; a backend computes only on tensors it allocated",
                name);
        }
        tensor.Storage.ThrowIfDisposed();
    }

    /// <summary>Checks that a tensor has the data type the op requires.</summary>
    public static void OfType(string op, string name, Tensor tensor, DataType type)
    {
        if (tensor.DataType != type)
        {
            throw new ArgumentException($"{op}: {name} {tensor.Shape} is {tensor.DataType} but must be {type}", name);
        }
    }

    /// <summary>Checks that a tensor holds floating-point values (not labels).</summary>
    public static void FloatingPoint(string op, string name, Tensor tensor)
    {
        if (!tensor.DataType.IsFloatingPoint())
        {
            throw new ArgumentException($"{op}: {name} {tensor.Shape} is {tensor.DataType} but must be Float32 or Float64", name);
        }
    }

    /// <summary>Checks that two operands have the same data type.</summary>
    public static void SameType(string op, string firstName, Tensor first, string secondName, Tensor second)
    {
        if (first.DataType != second.DataType)
        {
            throw new ArgumentException(
                $"{op}: {firstName} {first.Shape} is {first.DataType} but {secondName} {second.Shape} is {second.DataType}; operands must have the same data type");
        }
    }

    /// <summary>Checks that two operands have the same number of elements.</summary>
    public static void SameCount(string op, string firstName, Tensor first, string secondName, Tensor second)
    {
        if (first.ElementCount != second.ElementCount)
        {
            throw new ShapeException(
                $"{op}: {firstName} {Describe(first)} but {secondName} {Describe(second)}; they must have the same number of elements");
        }
    }

    /// <summary>Checks that two operands do not share memory where the op does not allow it.</summary>
    public static void NotShared(string op, string firstName, Tensor first, string secondName, Tensor second)
    {
        if (ReferenceEquals(first.Storage, second.Storage))
        {
            throw new ArgumentException($"{op}: {firstName} and {secondName} share memory, which this op does not allow");
        }
    }

    /// <summary>Checks that a tensor has exactly <paramref name="count"/> elements.</summary>
    public static void Count(string op, string name, Tensor tensor, long count)
    {
        if (tensor.ElementCount != count)
        {
            throw new ShapeException($"{op}: {name} {Describe(tensor)} but must have {count}");
        }
    }

    /// <summary>Checks labels (N class indices, Int32) against N×K rows; returns (N, K).</summary>
    public static (int Rows, int Classes) LabelRows(string op, string rowsName, Tensor rows, Tensor labels)
    {
        OfType(op, "labels", labels, DataType.Int32);
        FloatingPoint(op, rowsName, rows);
        if (rows.Shape.Rank != 2)
        {
            throw new ShapeException($"{op}: {rowsName} {rows.Shape} must be N×K");
        }
        if (labels.ElementCount != rows.Shape[0])
        {
            throw new ShapeException($"{op}: labels {Describe(labels)} but {rowsName} {rows.Shape} has {rows.Shape[0]} rows; one label per row");
        }
        return (rows.Shape[0], rows.Shape[1]);
    }

    /// <summary><see cref="IBackend.OneHot"/>.</summary>
    public static void OneHot(IBackend backend, Tensor labels, Tensor y)
    {
        const string op = "OneHot";
        Owned(backend, op, "labels", labels);
        Owned(backend, op, "y", y);
        LabelRows(op, "y", y, labels);
    }

    /// <summary><see cref="IBackend.AccumulateLoss"/>.</summary>
    public static void AccumulateLoss(IBackend backend, Tensor value, double weight, long step, Tensor accumulator)
    {
        const string op = "AccumulateLoss";
        Owned(backend, op, "value", value);
        Owned(backend, op, "accumulator", accumulator);
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

    /// <summary><see cref="IBackend.AccumulateTopK"/>.</summary>
    public static void AccumulateTopK(IBackend backend, Tensor logits, Tensor labels, Tensor counts)
    {
        const string op = "AccumulateTopK";
        Owned(backend, op, "logits", logits);
        Owned(backend, op, "labels", labels);
        Owned(backend, op, "counts", counts);
        LabelRows(op, "logits", logits, labels);
        OfType(op, "counts", counts, DataType.Float64);
        if (counts.ElementCount < 1)
        {
            throw new ShapeException($"{op}: counts {Describe(counts)}; it needs one element per k (at least top-1)");
        }
    }

    /// <summary><see cref="IBackend.AccumulateConfusion"/>.</summary>
    public static void AccumulateConfusion(IBackend backend, Tensor logits, Tensor labels, Tensor matrix)
    {
        const string op = "AccumulateConfusion";
        Owned(backend, op, "logits", logits);
        Owned(backend, op, "labels", labels);
        Owned(backend, op, "matrix", matrix);
        var (_, k) = LabelRows(op, "logits", logits, labels);
        OfType(op, "matrix", matrix, DataType.Float64);
        Count(op, "matrix", matrix, (long)k * k);
    }

    /// <summary><see cref="IBackend.SumOfSquares"/>.</summary>
    public static void SumOfSquares(IBackend backend, Tensor x, Tensor accumulator, double beta)
    {
        const string op = "SumOfSquares";
        Owned(backend, op, "x", x);
        Owned(backend, op, "accumulator", accumulator);
        FloatingPoint(op, "x", x);
        OfType(op, "accumulator", accumulator, DataType.Float64);
        Count(op, "accumulator", accumulator, 1);
        if (!double.IsFinite(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"{op}: β must be finite");
        }
    }

    /// <summary><see cref="IBackend.ClipToNorm"/>.</summary>
    public static void ClipToNorm(IBackend backend, Tensor sumOfSquares, double maxNorm, Tensor x)
    {
        const string op = "ClipToNorm";
        Owned(backend, op, "sumOfSquares", sumOfSquares);
        Owned(backend, op, "x", x);
        OfType(op, "sumOfSquares", sumOfSquares, DataType.Float64);
        Count(op, "sumOfSquares", sumOfSquares, 1);
        FloatingPoint(op, "x", x);
        if (!(maxNorm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"{op}: the maximum norm must be positive");
        }
    }

    /// <summary>"is [2, 3] (6 elements)": a tensor's shape and count for messages.</summary>
    public static string Describe(Tensor tensor) =>
        string.Create(CultureInfo.InvariantCulture, $"is {tensor.Shape} ({tensor.ElementCount} {(tensor.ElementCount == 1 ? "element" : "elements")})");
}
