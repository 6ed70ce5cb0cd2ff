namespace Engine.Backend.OpenBlas;

/// <summary>Argument checks shared by every op; messages name the op, the operand and its shape.</summary>
public sealed partial class OpenBlasBackend
{
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>
    /// Checks that <paramref name="tensor"/> was allocated by this backend instance (a decorator's
    /// tensors carry this backend's storage), is still alive and holds floating-point values, and
    /// returns its storage. Label tensors (Int32) go through <see cref="CheckAnyType"/>.
    /// </summary>
    private CpuStorage Check(string op, string name, Tensor tensor)
    {
        CpuStorage storage = CheckAnyType(op, name, tensor);
        BackendContract.FloatingPoint(op, name, tensor);
        return storage;
    }

    /// <summary><see cref="Check"/> for ops that take tensors of any data type (copies, labels).</summary>
    private CpuStorage CheckAnyType(string op, string name, Tensor tensor)
    {
        ThrowIfDisposed();
        BackendContract.Owned(this, op, name, tensor);
        return tensor.Storage as CpuStorage ?? throw new ArgumentException(
            $"{op}: {name} {tensor.Shape} has storage of type {tensor.Storage.GetType().Name}, not this backend's; a backend computes only on tensors it allocated",
            name);
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
            : typeof(T) == typeof(int) ? DataType.Int32
            : null;
        if (host != tensor.DataType)
        {
            string wanted = tensor.DataType switch { DataType.Float32 => "float", DataType.Float64 => "double", _ => "int" };
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
