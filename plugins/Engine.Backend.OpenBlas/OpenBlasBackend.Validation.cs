namespace Engine.Backend.OpenBlas;

/// <summary>Argument checks shared by every op; messages name the op, the operand and its shape.</summary>
public sealed partial class OpenBlasBackend
{
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>
    /// Checks that <paramref name="tensor"/> was allocated by this backend instance and is still
    /// alive, and returns its storage.
    /// </summary>
    private CpuStorage Check(string op, string name, Tensor tensor)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ReferenceEquals(tensor.Backend, this) || tensor.Storage is not CpuStorage storage)
        {
            string owner = tensor.Backend is OpenBlasBackend
                ? "another openblas backend instance"
                : $"backend '{tensor.Backend.Name}'";
            throw new ArgumentException(
                $"{op}: {name} {tensor.Shape} belongs to {owner}, not to this one; a backend computes only on tensors it allocated",
                name);
        }
        storage.ThrowIfDisposed();
        return storage;
    }

    private static void SameType(string op, string firstName, Tensor first, string secondName, Tensor second)
    {
        if (first.DataType != second.DataType)
        {
            throw new ArgumentException(
                $"{op}: {firstName} {first.Shape} is {first.DataType} but {secondName} {second.Shape} is {second.DataType}; operands must have the same data type");
        }
    }

    private static void SameCount(string op, string firstName, Tensor first, string secondName, Tensor second)
    {
        if (first.ElementCount != second.ElementCount)
        {
            throw new ShapeException(
                $"{op}: {firstName} {Describe(first)} but {secondName} {Describe(second)}; they must have the same number of elements");
        }
    }

    private static void NotShared(string op, string firstName, CpuStorage first, string secondName, CpuStorage second)
    {
        if (ReferenceEquals(first, second))
        {
            throw new ArgumentException($"{op}: {firstName} and {secondName} share memory, which this op does not allow");
        }
    }

    private static void HostElementType<T>(string op, string name, Tensor tensor) where T : unmanaged
    {
        DataType? host = typeof(T) == typeof(float) ? DataType.Float32
            : typeof(T) == typeof(double) ? DataType.Float64
            : null;
        if (host != tensor.DataType)
        {
            string wanted = tensor.DataType == DataType.Float32 ? "float" : "double";
            throw new ArgumentException(
                $"{op}: host elements are {typeof(T).Name} but {name} {tensor.Shape} is {tensor.DataType}; use a span of {wanted}");
        }
    }

    private static string Describe(Tensor tensor) =>
        $"is {tensor.Shape} ({tensor.ElementCount} {(tensor.ElementCount == 1 ? "element" : "elements")})";

    /// <summary>The first <paramref name="count"/> elements of a block as a span.</summary>
    private static unsafe Span<T> Elements<T>(CpuStorage storage, long count) where T : unmanaged =>
        new((void*)storage.Pointer, checked((int)count));
}
