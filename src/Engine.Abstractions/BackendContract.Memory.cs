using System.Globalization;

namespace Engine;

/// <summary>Memory ops: allocation, host copies, device copies and fills.</summary>
public static partial class BackendContract
{
    /// <summary>
    /// <see cref="IBackend.Allocate"/>: the data type is one of <see cref="DataType"/>'s values and
    /// the shape has at most <paramref name="maxElements"/> elements (the backend's own limit, e.g.
    /// what one span can index).
    /// </summary>
    public static void Allocate(IBackend backend, Shape shape, DataType dataType, long maxElements)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (dataType is not (DataType.Float32 or DataType.Float64 or DataType.Int32))
        {
            throw new ArgumentOutOfRangeException(nameof(dataType), dataType, $"Allocate: the {backend.Name} backend stores Float32, Float64 and Int32 tensors only");
        }
        long count = shape.ElementCount;
        if (count > maxElements)
        {
            throw new ArgumentException($"Allocate: {shape} has {count} elements; the {backend.Name} backend handles at most {maxElements} elements per tensor", nameof(shape));
        }
        // A CPU backend's tensors live in host memory: one larger than the machine's memory (or its
        // container's limit) is refused before it is asked for, instead of failing half-way while it is
        // filled or being killed by the system. Small tensors skip the query.
        long bytes = count * dataType.SizeInBytes();
        if (backend.Device == DeviceKind.Cpu && bytes > MemoryQueryThreshold && bytes > HostMemoryBytes)
        {
            throw new InsufficientMemoryException(string.Create(CultureInfo.InvariantCulture,
                $"{shape} of {dataType} needs {bytes / 1e9:0.0#} GB; this machine has {HostMemoryBytes / 1e9:0.0#} GB of memory"));
        }
    }

    // 64 MiB: below it the allocation fits any machine the engine runs on.
    private const long MemoryQueryThreshold = 64L << 20;

    // The machine's memory, or its container's (or DOTNET_GCHeapHardLimit's) limit: what the runtime reports as usable.
    private static long HostMemoryBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// <see cref="IBackend.CopyFromHost{T}"/>: destination is owned by the backend, of any data type
    /// (labels included) matching <typeparamref name="T"/> (float, double, int), with as many
    /// elements as the span.
    /// </summary>
    public static void CopyFromHost<T>(IBackend backend, ReadOnlySpan<T> source, Tensor destination) where T : unmanaged
    {
        const string op = "CopyFromHost";
        Owned(backend, op, "destination", destination);
        Written(destination);
        HostElementType<T>(op, "destination", destination);
        if (source.Length != destination.ElementCount)
        {
            throw new ShapeException($"{op}: the host span has {source.Length} elements but destination {Describe(destination)}");
        }
    }

    /// <summary>
    /// <see cref="IBackend.CopyToHost{T}"/>: source is owned by the backend, of any data type
    /// matching <typeparamref name="T"/>, with as many elements as the span.
    /// </summary>
    public static void CopyToHost<T>(IBackend backend, Tensor source, Span<T> destination) where T : unmanaged
    {
        const string op = "CopyToHost";
        Owned(backend, op, "source", source);
        HostElementType<T>(op, "source", source);
        if (destination.Length != source.ElementCount)
        {
            throw new ShapeException($"{op}: source {Describe(source)} but the host span has {destination.Length} elements");
        }
    }

    /// <summary>
    /// <see cref="IBackend.Copy"/>: both owned by the backend, any data type but the same one, the
    /// same element count (shapes may differ). Source and destination may be the same memory (then
    /// nothing happens).
    /// </summary>
    public static void Copy(IBackend backend, Tensor source, Tensor destination)
    {
        const string op = "Copy";
        Owned(backend, op, "source", source);
        Owned(backend, op, "destination", destination);
        Written(destination);
        SameType(op, "source", source, "destination", destination);
        SameCount(op, "source", source, "destination", destination);
    }

    /// <summary><see cref="IBackend.Fill"/>: x is a floating-point operand; the value is rounded to its type.</summary>
    public static void Fill(IBackend backend, Tensor x, double value)
    {
        Operand(backend, "Fill", "x", x);
        Written(x);
    }
}
