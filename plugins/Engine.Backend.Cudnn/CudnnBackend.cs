using Engine.Backend.Cudnn.Kernels;

namespace Engine.Backend.Cudnn;

/// <summary>
/// GPU backend: tensors live in device memory from a caching allocator (<see cref="DeviceAllocator"/>),
/// GEMM runs in cuBLAS, convolutions in cuDNN, and every other op in the shim's own CUDA kernels
/// (native/cudnn_shim/kernels, compiled by NVRTC on first use). All work is queued on one stream;
/// only <see cref="CopyToHost"/> and <see cref="Synchronize"/> wait for it.
/// </summary>
/// <remarks>
/// This file is the dispatcher's core (memory, GEMM, traits); each op family has its own partial
/// file (CudnnBackend.Convolution.cs, .Elementwise.cs, ...). Every op checks its arguments with
/// <see cref="BackendContract"/>, the SDK's contract shared with every backend, before queueing work.
/// </remarks>
public sealed partial class CudnnBackend : IBackend, IDeviceMemoryStatistics
{
    private readonly DeviceAllocator _allocator = new();
    private readonly KernelLauncher _kernels = new();
    private readonly ShimPrecision _precision;
    private readonly ConvolutionAlgorithms? _algorithms; // null: cuDNN's heuristics (ENGINE_CUDNN_ALGORITHMS=heuristic, or strict precision by default)
    private readonly ConvolutionLayouts _layouts; // --cudnn-layout (ENGINE_CUDNN_LAYOUT)
    private volatile bool _disposed;

    /// <summary>Opens the GPU (once per process); throws <see cref="BackendException"/> naming what is missing.</summary>
    public CudnnBackend()
    {
        if (!ShimLibrary.TryInitialize(out string detail))
        {
            throw new BackendException($"the cudnn backend is unavailable: {detail}");
        }
        // The shim's math mode is per process: the last backend created sets it.
        ShimPrecision precision = ShimLibrary.RequestedPrecision();
        Strict = precision == ShimPrecision.Strict;
        ShimLibrary.Check(ShimNative.ecud_set_precision((int)precision), "setting the precision");
        Precision = precision.ToString().ToLowerInvariant();
        _precision = precision;
        _algorithms = ConvolutionAlgorithms.FromEnvironment(deterministic: Strict);
        _layouts = ConvolutionLayouts.FromEnvironment();
        Description = $"{detail}; {precision.Describe()}; {_algorithms?.Describe() ?? (Strict ? "convolution algorithms by cuDNN's heuristics, deterministic plain sums only" : "convolution algorithms by cuDNN's heuristics")}; {_layouts.Describe()}; {DescribeFusion()}";
        Traits = new BackendTraits
        {
            // Float32 sums run in another order than on the CPU; TF32 and fp16 round the operands
            // of convolutions and GEMMs to a 10-bit mantissa, bf16 to a 7-bit one.
            Float32Tolerance = precision.Float32Tolerance(),
            Float64Tolerance = 1e-10,
            MaxPoolTies = MaxPoolTieRule.FirstIndex,
            Deterministic = Strict,
        };
    }

    /// <inheritdoc/>
    public string Name => "cudnn";

    /// <inheritdoc/>
    public DeviceKind Device => DeviceKind.Gpu;

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public BackendTraits Traits { get; }

    /// <summary>True when float32 convolutions and GEMMs are plain float32 (--precision strict, ENGINE_PRECISION=strict); false: TF32, bf16 or fp16.</summary>
    public bool Strict { get; }

    /// <summary>The math of float32 convolutions and GEMMs: tf32, strict, bf16 or fp16 (--precision, ENGINE_PRECISION).</summary>
    public string Precision { get; }

    /// <inheritdoc/>
    public long BytesInUse => _allocator.BytesInUse;

    /// <inheritdoc/>
    public long BytesReserved => _allocator.BytesReserved;

    /// <inheritdoc/>
    public long PeakBytesInUse => _allocator.PeakBytesInUse;

    /// <inheritdoc/>
    /// <remarks>cudaMalloc calls of the allocator (the cuDNN workspace is counted by the shim, not here).</remarks>
    public long DeviceAllocations => _allocator.DeviceAllocations;

    /// <inheritdoc/>
    public bool Supports(OpDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return Enum.IsDefined(descriptor.Op) && (descriptor.DataType.IsFloatingPoint()
            || (descriptor.DataType == DataType.Int32 && descriptor.Op == BackendOp.Memory));
    }

    // ---- Memory ------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Tensor Allocate(Shape shape, DataType dataType = DataType.Float32)
    {
        ThrowIfDisposed();
        BackendContract.Allocate(this, shape, dataType, int.MaxValue);
        var storage = new DeviceStorage(_allocator, shape.ElementCount * dataType.SizeInBytes(), this);
        return new Tensor(this, storage, shape, dataType);
    }

    /// <inheritdoc/>
    public unsafe void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged
    {
        ThrowIfDisposed();
        BackendContract.CopyFromHost(this, source, destination);
        fixed (T* s = source)
        {
            ShimLibrary.Check(ShimNative.ecud_copy_to_device(Ptr(destination).Address, s, (nuint)(source.Length * sizeof(T))), "CopyFromHost");
        }
    }

    /// <inheritdoc/>
    public unsafe void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        ThrowIfDisposed();
        BackendContract.CopyToHost(this, source, destination);
        fixed (T* d = destination)
        {
            ShimLibrary.Check(ShimNative.ecud_copy_to_host(d, Ptr(source).Address, (nuint)(destination.Length * sizeof(T))), "CopyToHost");
        }
    }

    /// <inheritdoc/>
    public void Copy(Tensor source, Tensor destination)
    {
        ThrowIfDisposed();
        BackendContract.Copy(this, source, destination);
        long bytes = source.ElementCount * source.DataType.SizeInBytes();
        ShimLibrary.Check(ShimNative.ecud_copy_on_device(Ptr(destination).Address, Ptr(source).Address, (nuint)bytes), "Copy");
    }

    /// <inheritdoc/>
    public void Synchronize()
    {
        ThrowIfDisposed();
        ShimLibrary.Check(ShimNative.ecud_synchronize(), "Synchronize");
    }

    /// <inheritdoc/>
    public void Fill(Tensor x, double value)
    {
        ThrowIfDisposed();
        BackendContract.Fill(this, x, value);
        _kernels.Launch("memory", "fill", x.DataType, x.ElementCount, x.ElementCount, Ptr(x), value);
    }

    // ---- GEMM --------------------------------------------------------------------------------

    /// <inheritdoc/>
    public void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        ThrowIfDisposed();
        (int m, int n, int k) = BackendContract.Gemm(this, transposeA, transposeB, alpha, a, b, beta, c);
        ShimLibrary.Check(ShimNative.ecud_gemm((int)c.DataType, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha,
            Ptr(a).Address, Ptr(b).Address, beta, Ptr(c).Address), "Gemm");
    }

    // ---- Helpers for the op families ---------------------------------------------------------

    /// <summary>The device address of a tensor of this backend (the contract has checked ownership).</summary>
    internal static DevicePointer Ptr(Tensor tensor) => new(((DeviceStorage)tensor.Storage).Pointer);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Waits for queued work, then frees the allocator's cached blocks. The GPU stays open for the process.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _ = ShimNative.ecud_synchronize();
        ReleaseStaging();
        ReleaseZeroBiases();
        _allocator.Dispose();
    }
}
