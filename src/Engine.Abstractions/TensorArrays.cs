namespace Engine;

/// <summary>
/// Tensors from and to host arrays, for applications: <c>backend.FromArray(values, shape)</c>,
/// <c>tensor.ToArray()</c>, <c>tensor.CopyFrom(values)</c>. They go through the backend's own copy
/// operations (<see cref="IBackend.CopyFromHost{T}"/>, <see cref="IBackend.CopyToHost{T}"/>), so they
/// work on every backend; on a GPU each call is a transfer that waits for queued work.
/// </summary>
public static class TensorArrays
{
    /// <summary>A new float32 tensor of <paramref name="shape"/> holding <paramref name="values"/> (row-major); the caller disposes it.</summary>
    public static Tensor FromArray(this IBackend backend, float[] values, Shape shape) => Upload(backend, values, shape);

    /// <summary>A new float64 tensor of <paramref name="shape"/> holding <paramref name="values"/> (row-major); the caller disposes it.</summary>
    public static Tensor FromArray(this IBackend backend, double[] values, Shape shape) => Upload(backend, values, shape);

    /// <summary>
    /// A new int32 tensor of <paramref name="shape"/> holding <paramref name="values"/>: class indices,
    /// which a loss takes as targets (shape [N] for N predictions) without one-hot vectors.
    /// </summary>
    public static Tensor FromArray(this IBackend backend, int[] values, Shape shape) => Upload(backend, values, shape);

    /// <summary>A new int32 tensor of shape [N] holding N class indices, the targets a loss takes; the caller disposes it.</summary>
    public static Tensor FromLabels(this IBackend backend, int[] classIndices) =>
        Upload(backend, classIndices ?? throw new ArgumentNullException(nameof(classIndices)), new Shape(classIndices.Length));

    /// <summary>
    /// The elements as floats, row-major: a float32 tensor's values, a float64 tensor's rounded to
    /// float. An int32 tensor (class indices) is read with <see cref="ToArray{T}"/> of <see cref="int"/>.
    /// </summary>
    public static float[] ToArray(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.DataType switch
        {
            DataType.Float32 => tensor.ToArray<float>(),
            DataType.Float64 => Array.ConvertAll(tensor.ToArray<double>(), d => (float)d),
            _ => throw new ArgumentException($"ToArray: {tensor} holds {tensor.DataType} values; read them with ToArray<int>()", nameof(tensor)),
        };
    }

    /// <summary>The elements, row-major, as <typeparamref name="T"/>, which must be the tensor's element type (float, double or int).</summary>
    public static T[] ToArray<T>(this Tensor tensor) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var values = new T[tensor.ElementCount];
        tensor.Backend.CopyToHost<T>(tensor, values);
        return values;
    }

    /// <summary>
    /// Overwrites the tensor's elements with <paramref name="values"/> (row-major, as many as the
    /// tensor holds): setting a parameter, or refilling an input batch without a new allocation. A
    /// float64 tensor takes them widened.
    /// </summary>
    public static void CopyFrom(this Tensor tensor, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DataType == DataType.Float64)
        {
            var widened = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                widened[i] = values[i];
            }
            tensor.Backend.CopyFromHost<double>(widened, tensor);
        }
        else
        {
            tensor.Backend.CopyFromHost(values, tensor);
        }
    }

    private static Tensor Upload<T>(IBackend backend, T[] values, Shape shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(values);
        if (values.LongLength != shape.ElementCount)
        {
            throw new ShapeException($"FromArray: {values.Length} values do not fill shape {shape} ({shape.ElementCount} elements)");
        }
        Tensor tensor = backend.Allocate(shape, DataTypeExtensions.Of<T>());
        try
        {
            backend.CopyFromHost<T>(values, tensor);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }
}
