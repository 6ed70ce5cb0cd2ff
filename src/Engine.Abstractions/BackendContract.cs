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

    /// <summary>
    /// The check every computing op makes on each of its tensors: owned by <paramref name="backend"/>
    /// and alive (<see cref="Owned"/>), and floating point (<see cref="FloatingPoint"/>): only the
    /// copies and the label arguments of the metric ops accept <see cref="DataType.Int32"/>.
    /// </summary>
    public static void Operand(IBackend backend, string op, string name, Tensor tensor)
    {
        Owned(backend, op, name, tensor);
        FloatingPoint(op, name, tensor);
    }

    /// <summary>
    /// Records that the op writes <paramref name="tensor"/> (<see cref="TensorStorage.MarkWritten"/>): every
    /// contract check bumps the version of the operands its op writes, so a backend that checks its calls
    /// here keeps the versions right without code of its own. Bumping before the write is enough: nothing
    /// may read a tensor while an op writes it.
    /// </summary>
    public static void Written(Tensor tensor) => tensor.Storage.MarkWritten();

    /// <summary>Checks that two operands have the same shape.</summary>
    public static void SameShape(string op, string firstName, Tensor first, string secondName, Tensor second)
    {
        if (first.Shape != second.Shape)
        {
            throw new ShapeException($"{op}: {firstName} is {first.Shape} but {secondName} is {second.Shape}; they must have the same shape");
        }
    }

    /// <summary>
    /// Reads an N×C×… tensor as N samples of C channels of S = product of the remaining dimensions
    /// (1 for N×C); refuses a tensor of fewer than two dimensions.
    /// </summary>
    public static (int Batch, int Channels, int Spatial) Channels(string op, string name, Tensor tensor)
    {
        ReadOnlySpan<int> dims = tensor.Shape.AsSpan();
        if (dims.Length < 2)
        {
            throw new ShapeException($"{op}: {name} is {tensor.Shape} but must be N×C×… (at least two dimensions)");
        }
        long spatial = 1;
        foreach (int d in dims[2..])
        {
            spatial *= d;
        }
        return (dims[0], dims[1], (int)spatial);
    }

    /// <summary>Checks a per-channel vector operand of x: same data type as x and C elements.</summary>
    public static void ChannelVector(string op, Tensor x, int channels, string name, Tensor vector)
    {
        SameType(op, "x", x, name, vector);
        if (vector.ElementCount != channels)
        {
            throw new ShapeException($"{op}: x is {x.Shape} with {channels} channels but {name} {Describe(vector)}");
        }
    }

    /// <summary>Checks that the element type of a host span matches a tensor's data type.</summary>
    public static void HostElementType<T>(string op, string name, Tensor tensor) where T : unmanaged
    {
        DataType? host = typeof(T) == typeof(float) ? DataType.Float32
            : typeof(T) == typeof(double) ? DataType.Float64
            : typeof(T) == typeof(int) ? DataType.Int32
            : null;
        if (host != tensor.DataType)
        {
            string wanted = tensor.DataType switch { DataType.Float32 => "float", DataType.Float64 => "double", _ => "int" };
            throw new ArgumentException(
                $"{op}: host elements are {typeof(T).Name} but {name} {tensor.Shape} is {tensor.DataType}; use a span of {wanted}");
        }
    }

    /// <summary>"is [2, 3] (6 elements)": a tensor's shape and count for messages.</summary>
    public static string Describe(Tensor tensor) =>
        string.Create(CultureInfo.InvariantCulture, $"is {tensor.Shape} ({tensor.ElementCount} {(tensor.ElementCount == 1 ? "element" : "elements")})");
}
