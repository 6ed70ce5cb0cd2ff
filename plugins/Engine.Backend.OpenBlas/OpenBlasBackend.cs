namespace Engine.Backend.OpenBlas;

/// <summary>
/// CPU backend: tensors live in 64-byte aligned native memory (<see cref="CpuStorage"/>), GEMM runs
/// in OpenBLAS, and every other op is a vectorised C# loop over <see cref="System.Numerics.Tensors.TensorPrimitives"/>
/// or <see cref="System.Numerics.Vector{T}"/>, written once for float and double. Calls run
/// synchronously on the calling thread, so <see cref="Synchronize"/> has nothing to wait for.
/// </summary>
/// <remarks>
/// There is one thread pool, the backend's own <see cref="WorkerPool"/>: convolutions split the
/// batch over it and large GEMMs their rows, each piece calling OpenBLAS single-threaded. OpenBLAS's
/// own pool is switched off because two pools on the same cores compete instead of adding
/// throughput, and OpenBLAS's threads spin and yield around every small GEMM a CNN makes.
/// The backend is not thread-safe in the sense that two threads must not write the same tensor at
/// once; separate tensors may be used from separate threads.
/// </remarks>
public sealed partial class OpenBlasBackend : IBackend
{
    private volatile bool _disposed;

    /// <summary>
    /// Creates the backend, loading OpenBLAS if that has not happened yet. Throws
    /// <see cref="BackendException"/> with the loader's explanation when the library is unavailable.
    /// </summary>
    public OpenBlasBackend()
    {
        if (!OpenBlasLibrary.TryLoad(out string detail))
        {
            throw new BackendException($"the openblas backend is unavailable: {detail}");
        }
        Description = $"{detail} (the backend's pool; OpenBLAS calls single-threaded); other ops vectorised C# (System.Numerics.Tensors)";
    }

    /// <inheritdoc/>
    public string Name => "openblas";

    /// <inheritdoc/>
    public DeviceKind Device => DeviceKind.Cpu;

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>
    /// Threads the backend's pool runs convolutions and large GEMMs on (OpenBLAS itself stays
    /// single-threaded). This applies to the whole process, every backend instance included.
    /// <see cref="Description"/> keeps the count the library started with.
    /// </summary>
    public int BlasThreadCount
    {
        get => OpenBlasLibrary.ThreadCount;
        set => OpenBlasLibrary.ThreadCount = value;
    }

    /// <inheritdoc/>
    public bool Supports(OpDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        // The reference backend runs every op family in both floating-point types; labels (Int32)
        // are only stored and copied, never computed with.
        return Enum.IsDefined(descriptor.Op) && (descriptor.DataType.IsFloatingPoint()
            || (descriptor.DataType == DataType.Int32 && descriptor.Op == BackendOp.Memory));
    }

    /// <inheritdoc/>
    public BackendTraits Traits => BackendTraits.Reference;

    /// <inheritdoc/>
    public Tensor Allocate(Shape shape, DataType dataType = DataType.Float32)
    {
        ThrowIfDisposed();
        if (dataType is not (DataType.Float32 or DataType.Float64 or DataType.Int32))
        {
            throw new ArgumentOutOfRangeException(nameof(dataType), dataType, "Allocate: the openblas backend stores Float32, Float64 and Int32 tensors only");
        }
        long count = shape.ElementCount;
        if (count > int.MaxValue)
        {
            throw new ArgumentException($"Allocate: {shape} has {count} elements; the openblas backend handles at most {int.MaxValue} elements per tensor", nameof(shape));
        }
        var storage = new CpuStorage(count * dataType.SizeInBytes(), this);
        return new Tensor(this, storage, shape, dataType);
    }

    /// <inheritdoc/>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged
    {
        const string op = "CopyFromHost";
        CpuStorage storage = CheckAnyType(op, "destination", destination);
        HostElementType<T>(op, "destination", destination);
        if (source.Length != destination.ElementCount)
        {
            throw new ShapeException($"{op}: the host span has {source.Length} elements but destination {Describe(destination)}");
        }
        source.CopyTo(Elements<T>(storage, source.Length));
        GC.KeepAlive(storage);
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        const string op = "CopyToHost";
        CpuStorage storage = CheckAnyType(op, "source", source);
        HostElementType<T>(op, "source", source);
        if (destination.Length != source.ElementCount)
        {
            throw new ShapeException($"{op}: source {Describe(source)} but the host span has {destination.Length} elements");
        }
        Elements<T>(storage, destination.Length).CopyTo(destination);
        GC.KeepAlive(storage);
    }

    /// <inheritdoc/>
    public unsafe void Copy(Tensor source, Tensor destination)
    {
        const string op = "Copy";
        CpuStorage from = CheckAnyType(op, "source", source);
        CpuStorage to = CheckAnyType(op, "destination", destination);
        SameType(op, "source", source, "destination", destination);
        SameCount(op, "source", source, "destination", destination);
        long bytes = source.ElementCount * source.DataType.SizeInBytes();
        if (!ReferenceEquals(from, to))
        {
            Buffer.MemoryCopy((void*)from.Pointer, (void*)to.Pointer, bytes, bytes);
        }
        GC.KeepAlive(from);
        GC.KeepAlive(to);
    }

    /// <inheritdoc/>
    public void Synchronize() => ThrowIfDisposed();

    /// <inheritdoc/>
    public void Fill(Tensor x, double value)
    {
        CpuStorage storage = Check("Fill", "x", x);
        int n = (int)x.ElementCount;
        if (x.DataType == DataType.Float32)
        {
            Elements<float>(storage, n).Fill((float)value);
        }
        else
        {
            Elements<double>(storage, n).Fill(value);
        }
        GC.KeepAlive(storage);
    }

    /// <summary>
    /// Marks the backend closed: later calls throw <see cref="ObjectDisposedException"/>. Tensors it
    /// allocated stay valid until they are disposed themselves; its own scratch memory is freed.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        ReleaseWorkspace();
    }

    /// <inheritdoc/>
    public override string ToString() => $"openblas ({Description})";
}
