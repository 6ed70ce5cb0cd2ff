namespace Engine.Backend.OpenBlas;

/// <summary>
/// CPU backend: tensors live in 64-byte aligned native memory (<see cref="CpuStorage"/>), GEMM runs
/// in OpenBLAS, and every other op is a vectorised C# loop over <see cref="System.Numerics.Tensors.TensorPrimitives"/>
/// or <see cref="System.Numerics.Vector{T}"/>, written once for float and double. Calls run
/// synchronously on the calling thread, so <see cref="Synchronize"/> has nothing to wait for.
/// </summary>
/// <remarks>
/// This class is only the dispatcher: each op checks its arguments with <see cref="BackendContract"/>
/// (the SDK's contract, shared with every backend), resolves the operands' native addresses and calls
/// a stateless kernel class of its family (<see cref="GemmKernel"/>, <see cref="ConvolutionKernels"/>,
/// <see cref="PoolingKernels"/>, <see cref="ElementwiseKernels"/>, <see cref="ChannelKernels"/>,
/// <see cref="NormalizationKernels"/>, <see cref="OptimizerKernels"/>, <see cref="RandomKernels"/>,
/// <see cref="MetricKernels"/>). The only state is the convolution workspace, passed to the kernels
/// that use it; OpenBLAS is called from <see cref="GemmKernel"/> alone.
/// There is one thread pool, the backend's own <see cref="WorkerPool"/>: convolutions split the
/// batch over it and large GEMMs their rows, each piece calling OpenBLAS single-threaded. OpenBLAS's
/// own pool is switched off because two pools on the same cores compete instead of adding
/// throughput, and OpenBLAS's threads spin and yield around every small GEMM a CNN makes.
/// The backend is not thread-safe in the sense that two threads must not write the same tensor at
/// once; separate tensors may be used from separate threads.
/// </remarks>
public sealed partial class OpenBlasBackend : IBackend, IParallelWorkers
{
    private readonly ConvolutionWorkspace _workspace = new();
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
    public BackendTraits Traits => BackendTraits.Reference;

    /// <summary>Bytes held by the cached convolution scratch block (0 when none); for tests.</summary>
    internal long WorkspaceBytes => _workspace.Bytes;

    /// <inheritdoc/>
    public bool Supports(OpDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        // The reference backend runs every op family in both floating-point types; labels (Int32)
        // are only stored and copied, never computed with.
        return Enum.IsDefined(descriptor.Op) && (descriptor.DataType.IsFloatingPoint()
            || (descriptor.DataType == DataType.Int32 && descriptor.Op == BackendOp.Memory));
    }

    // ---- Memory ------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Tensor Allocate(Shape shape, DataType dataType = DataType.Float32)
    {
        ThrowIfDisposed();
        // A span indexes at most int.MaxValue elements, and every kernel works on spans.
        BackendContract.Allocate(this, shape, dataType, int.MaxValue);
        var storage = new CpuStorage(shape.ElementCount * dataType.SizeInBytes(), this);
        return new Tensor(this, storage, shape, dataType);
    }

    /// <inheritdoc/>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged
    {
        ThrowIfDisposed();
        BackendContract.CopyFromHost(this, source, destination);
        source.CopyTo(NativeSpan.Of<T>(Address(destination, "CopyFromHost", "destination"), source.Length));
        GC.KeepAlive(destination);
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        ThrowIfDisposed();
        BackendContract.CopyToHost(this, source, destination);
        NativeSpan.Of<T>(Address(source, "CopyToHost", "source"), destination.Length).CopyTo(destination);
        GC.KeepAlive(source);
    }

    /// <inheritdoc/>
    public unsafe void Copy(Tensor source, Tensor destination)
    {
        ThrowIfDisposed();
        BackendContract.Copy(this, source, destination);
        nint from = Address(source, "Copy", "source"), to = Address(destination, "Copy", "destination");
        long bytes = source.ElementCount * source.DataType.SizeInBytes();
        if (from != to)
        {
            Buffer.MemoryCopy((void*)from, (void*)to, bytes, bytes);
        }
        var (sourceStorage, target) = ((CpuStorage)source.Storage, (CpuStorage)destination.Storage);
        // A whole block copied (the inference split's copies of the weights): derived filters of the source serve the copy
        // while neither changes (DerivedFilters.Origin). Anything less than whole blocks records nothing.
        bool whole = from == sourceStorage.Pointer && to == target.Pointer && bytes == sourceStorage.ByteLength
            && bytes == target.ByteLength && !ReferenceEquals(sourceStorage, target);
        target.Origin = whole ? sourceStorage : null;
        target.OriginVersion = sourceStorage.Version;
        target.CopyVersion = target.Version;
        GC.KeepAlive(source);
        GC.KeepAlive(destination);
    }

    /// <inheritdoc/>
    public void Synchronize() => ThrowIfDisposed();

    /// <inheritdoc/>
    public void Fill(Tensor x, double value)
    {
        ThrowIfDisposed();
        BackendContract.Fill(this, x, value);
        ElementwiseKernels.Fill(x.DataType, Address(x, "Fill", "x"), (int)x.ElementCount, value);
        GC.KeepAlive(x);
    }

    // ---- GEMM and element-wise ---------------------------------------------------------------

    /// <inheritdoc/>
    public void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        const string op = "Gemm";
        ThrowIfDisposed();
        (int m, int n, int k) = BackendContract.Gemm(this, transposeA, transposeB, alpha, a, b, beta, c);
        GemmKernel.Run(c.DataType, transposeA, transposeB, m, n, k, alpha, Address(a, op, "A"), Address(b, op, "B"), beta, Address(c, op, "C"));
        // The addresses are raw: keep the storages (and their finalizers) at bay until BLAS is done.
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(c);
    }

    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.Unary(this, op, x, y);
        ElementwiseKernels.Unary(op, x.DataType, Address(x, "Unary", op, "x"), Address(y, "Unary", op, "y"), (int)x.ElementCount);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.Binary(this, op, a, b, y);
        ElementwiseKernels.Binary(op, a.DataType, Address(a, "Binary", op, "a"), Address(b, "Binary", op, "b"), Address(y, "Binary", op, "y"), (int)a.ElementCount);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    /// <remarks>With β = 0 the old contents of y are ignored (NaNs included), as in GEMM.</remarks>
    public void Axpby(double alpha, Tensor x, double beta, Tensor y)
    {
        const string op = "Axpby";
        ThrowIfDisposed();
        BackendContract.Axpby(this, alpha, x, beta, y);
        nint xs = Address(x, op, "x"), ys = Address(y, op, "y");
        ElementwiseKernels.Axpby(x.DataType, alpha, xs, beta, ys, (int)x.ElementCount, aliased: xs == ys);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    public void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0)
    {
        const string op = "ActivationForward";
        ThrowIfDisposed();
        BackendContract.ActivationForward(this, activation, x, y, alpha);
        ElementwiseKernels.ActivationForward(activation, x.DataType, Address(x, op, activation, "x"), Address(y, op, activation, "y"), (int)x.ElementCount, alpha);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    public void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0)
    {
        const string op = "ActivationBackward";
        ThrowIfDisposed();
        BackendContract.ActivationBackward(this, activation, x, y, dy, dx, alpha);
        ElementwiseKernels.ActivationBackward(activation, x.DataType, Address(x, op, activation, "x"), Address(y, op, activation, "y"),
            Address(dy, op, activation, "dy"), Address(dx, op, activation, "dx"), (int)x.ElementCount, alpha);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        GC.KeepAlive(dy);
        GC.KeepAlive(dx);
    }

    // ---- Channels, sums, softmax -------------------------------------------------------------

    /// <inheritdoc/>
    public void AddChannelBias(Tensor y, Tensor bias)
    {
        const string op = "AddChannelBias";
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.AddChannelBias(this, y, bias);
        ChannelKernels.AddChannelBias(y.DataType, Address(y, op, "y"), Address(bias, op, "bias"), batch, channels, spatial);
        GC.KeepAlive(y);
        GC.KeepAlive(bias);
    }

    /// <inheritdoc/>
    public void SumChannels(Tensor x, Tensor sums, double beta = 0)
    {
        const string op = "SumChannels";
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.SumChannels(this, x, sums, beta);
        ChannelKernels.SumChannels(x.DataType, Address(x, op, "x"), Address(sums, op, "sums"), batch, channels, spatial, beta);
        GC.KeepAlive(x);
        GC.KeepAlive(sums);
    }

    /// <inheritdoc/>
    /// <remarks>Accumulates in double for both data types.</remarks>
    public void Sum(Tensor x, Tensor result)
    {
        const string op = "Sum";
        ThrowIfDisposed();
        BackendContract.Sum(this, x, result);
        ChannelKernels.Sum(x.DataType, Address(x, op, "x"), (int)x.ElementCount, Address(result, op, "result"));
        GC.KeepAlive(x);
        GC.KeepAlive(result);
    }

    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor y, bool log = false)
    {
        string op = log ? "Softmax(log)" : "Softmax";
        ThrowIfDisposed();
        (int rows, int columns) = BackendContract.Softmax(this, x, y, log);
        ChannelKernels.Softmax(x.DataType, Address(x, op, "x"), Address(y, op, "y"), rows, columns, log);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false)
    {
        string op = log ? "SoftmaxBackward(log)" : "SoftmaxBackward";
        ThrowIfDisposed();
        (int rows, int columns) = BackendContract.SoftmaxBackward(this, y, dy, dx, log);
        ChannelKernels.SoftmaxBackward(y.DataType, Address(y, op, "y"), Address(dy, op, "dy"), Address(dx, op, "dx"), rows, columns, log);
        GC.KeepAlive(y);
        GC.KeepAlive(dy);
        GC.KeepAlive(dx);
    }

    /// <inheritdoc/>
    public void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels)
    {
        const string op = "CopyChannels";
        ThrowIfDisposed();
        (int batch, int sourceChannels, int destinationChannels, int spatial) =
            BackendContract.CopyChannels(this, source, sourceOffset, destination, destinationOffset, channels);
        ChannelKernels.CopyChannels(source.DataType, Address(source, op, "source"), sourceChannels, sourceOffset,
            Address(destination, op, "destination"), destinationChannels, destinationOffset, batch, channels, spatial);
        GC.KeepAlive(source);
        GC.KeepAlive(destination);
    }

    /// <inheritdoc/>
    public void ScaleChannels(Tensor x, Tensor scale, Tensor y)
    {
        const string op = "ScaleChannels";
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.ScaleChannels(this, x, scale, y);
        ChannelKernels.ScaleChannels(x.DataType, Address(x, op, "x"), Address(scale, op, "scale"), Address(y, op, "y"), batch, channels, spatial);
        GC.KeepAlive(x);
        GC.KeepAlive(scale);
        GC.KeepAlive(y);
    }

    // ---- Convolution and locally connected ---------------------------------------------------

    /// <inheritdoc/>
    public void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.ConvolutionForward(this, geometry, x, w, y);
        Windowed("ConvolutionForward", ConvolutionPass.Forward, locallyConnected: false, geometry, x, w, y);
    }

    /// <inheritdoc/>
    public void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx)
    {
        ThrowIfDisposed();
        BackendContract.ConvolutionBackwardData(this, geometry, dy, w, dx);
        Windowed("ConvolutionBackwardData", ConvolutionPass.BackwardData, locallyConnected: false, geometry, dx, w, dy);
    }

    /// <inheritdoc/>
    public void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw)
    {
        ThrowIfDisposed();
        BackendContract.ConvolutionBackwardFilter(this, geometry, x, dy, dw);
        Windowed("ConvolutionBackwardFilter", ConvolutionPass.BackwardFilter, locallyConnected: false, geometry, x, dw, dy);
    }

    /// <inheritdoc/>
    public void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.LocallyConnectedForward(this, geometry, x, w, y);
        Windowed("LocallyConnectedForward", ConvolutionPass.Forward, locallyConnected: true, geometry, x, w, y);
    }

    /// <inheritdoc/>
    public void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx)
    {
        ThrowIfDisposed();
        BackendContract.LocallyConnectedBackwardData(this, geometry, dy, w, dx);
        Windowed("LocallyConnectedBackwardData", ConvolutionPass.BackwardData, locallyConnected: true, geometry, dx, w, dy);
    }

    /// <inheritdoc/>
    public void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw)
    {
        ThrowIfDisposed();
        BackendContract.LocallyConnectedBackwardFilter(this, geometry, x, dy, dw);
        Windowed("LocallyConnectedBackwardFilter", ConvolutionPass.BackwardFilter, locallyConnected: true, geometry, x, dw, dy);
    }

    /// <summary>
    /// Runs a checked windowed call: <paramref name="input"/> is x or dx, <paramref name="filters"/>
    /// w or dw, <paramref name="output"/> y or dy. K is w's first dimension for a convolution
    /// (K×C/groups×kernel) and its second for a locally connected layer (P×K×R).
    /// </summary>
    private void Windowed(string op, ConvolutionPass pass, bool locallyConnected, ConvolutionGeometry geometry, Tensor input, Tensor filters, Tensor output)
    {
        string inputName = pass == ConvolutionPass.BackwardData ? "dx" : "x";
        string filtersName = pass == ConvolutionPass.BackwardFilter ? "dw" : "w";
        string outputName = pass == ConvolutionPass.Forward ? "y" : "dy";
        var layout = ConvolutionLayout.Create(geometry, input.Shape, filters.Shape[locallyConnected ? 1 : 0]);
        ConvolutionKernels.Run(pass, locallyConnected, layout, input.DataType,
            Address(input, op, inputName), Address(filters, op, filtersName), Address(output, op, outputName), _workspace,
            filterStorage: pass == ConvolutionPass.Forward ? filters.Storage as CpuStorage : null);
        GC.KeepAlive(input);
        GC.KeepAlive(filters);
        GC.KeepAlive(output);
    }

    // ---- Pooling -----------------------------------------------------------------------------

    /// <inheritdoc/>
    public void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y)
    {
        const string op = "PoolingForward";
        ThrowIfDisposed();
        BackendContract.PoolingForward(this, geometry, x, y);
        PoolingKernels.Forward(PoolPlan.Create(geometry, x.Shape), geometry, x.DataType, Address(x, op, "x"), Address(y, op, "y"));
        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    /// <remarks>The arg-max is found again from x, so y is only checked for its shape.</remarks>
    public void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        const string op = "PoolingBackward";
        ThrowIfDisposed();
        BackendContract.PoolingBackward(this, geometry, x, y, dy, dx);
        PoolingKernels.Backward(PoolPlan.Create(geometry, x.Shape), geometry, x.DataType, Address(x, op, "x"), Address(dy, op, "dy"), Address(dx, op, "dx"));
        GC.KeepAlive(x);
        GC.KeepAlive(dy);
        GC.KeepAlive(dx);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Float max pooling of the windows <c>PoolLines</c> takes keeps one byte per output (which tap
    /// of its window won), unless <c>ENGINE_POOL_ARGMAX=off</c>; other pooling keeps nothing.
    /// </remarks>
    public int PoolingWorkspaceSize(PoolingGeometry geometry, Shape x, DataType dataType)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (x.Rank != geometry.Window.SpatialRank + 2)
        {
            return 0;
        }
        long elements = ArgMaxElements(PoolPlan.Create(geometry, x), geometry, dataType);
        return elements <= int.MaxValue ? (int)elements : 0;
    }

    /// <summary>Int32 elements of the arg-max a training forward of this plan keeps (a byte per output), 0 when none.</summary>
    private static long ArgMaxElements(in PoolPlan plan, PoolingGeometry geometry, DataType dataType) =>
        (PoolingKernels.ArgMaxBytes(plan, geometry, dataType) + sizeof(int) - 1) / sizeof(int);

    /// <inheritdoc/>
    public void PoolingForwardWithWorkspace(PoolingGeometry geometry, Tensor x, Tensor y, Tensor workspace)
    {
        const string op = "PoolingForwardWithWorkspace";
        ThrowIfDisposed();
        BackendContract.PoolingForward(this, geometry, x, y);
        var plan = PoolPlan.Create(geometry, x.Shape);
        if (ArgMaxElements(plan, geometry, x.DataType) is var elements and > 0)
        {
            BackendContract.PoolingWorkspace(this, op, workspace, elements, x, y);
            PoolingKernels.ForwardKeepingArgMax(plan, Address(x, op, "x"), Address(y, op, "y"), Address(workspace, op, "workspace"));
            GC.KeepAlive(workspace);
            GC.KeepAlive(x);
            GC.KeepAlive(y);
            return;
        }
        PoolingForward(geometry, x, y);
    }

    /// <inheritdoc/>
    /// <remarks>Where the forward pass kept the arg-max, x is read for its shape only.</remarks>
    public void PoolingBackwardWithWorkspace(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor workspace)
    {
        const string op = "PoolingBackwardWithWorkspace";
        ThrowIfDisposed();
        BackendContract.PoolingBackward(this, geometry, x, y, dy, dx);
        var plan = PoolPlan.Create(geometry, x.Shape);
        if (ArgMaxElements(plan, geometry, x.DataType) is var elements and > 0)
        {
            BackendContract.PoolingWorkspace(this, op, workspace, elements, x, y, dy, dx);
            PoolingKernels.BackwardFromArgMax(plan, Address(workspace, op, "workspace"), Address(dy, op, "dy"), Address(dx, op, "dx"));
            GC.KeepAlive(workspace);
            GC.KeepAlive(dy);
            GC.KeepAlive(dx);
            return;
        }
        PoolingBackward(geometry, x, y, dy, dx);
    }

    // ---- Normalisation -----------------------------------------------------------------------

    /// <inheritdoc/>
    public void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training)
    {
        ThrowIfDisposed();
        BatchNormForwardChecked("BatchNormForward", x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training, relu: false);
    }

    /// <summary>Batch norm forward after the contract's checks, with the ReLU in the normalising pass when <paramref name="relu"/> (BatchNormReluForward).</summary>
    private void BatchNormForwardChecked(string op, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training, bool relu)
    {
        (int batch, int channels, int spatial) = BackendContract.BatchNormForward(this, x, gamma, beta, runningMean, runningVariance,
            savedMean, savedInvStd, y, epsilon, momentum, training);
        NormalizationKernels.BatchNormForward(x.DataType, new ChannelPlanes(batch, channels, spatial), Address(x, op, "x"),
            Address(gamma, op, "gamma"), Address(beta, op, "beta"), Address(runningMean, op, "runningMean"), Address(runningVariance, op, "runningVariance"),
            Address(savedMean, op, "savedMean"), Address(savedInvStd, op, "savedInvStd"), Address(y, op, "y"), epsilon, momentum, training, relu);
        GC.KeepAlive(x);
        GC.KeepAlive(gamma);
        GC.KeepAlive(beta);
        GC.KeepAlive(runningMean);
        GC.KeepAlive(runningVariance);
        GC.KeepAlive(savedMean);
        GC.KeepAlive(savedInvStd);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta)
    {
        const string op = "BatchNormBackward";
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.BatchNormBackward(this, x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);
        NormalizationKernels.BatchNormBackward(x.DataType, new ChannelPlanes(batch, channels, spatial), Address(x, op, "x"), Address(dy, op, "dy"),
            Address(gamma, op, "gamma"), Address(savedMean, op, "savedMean"), Address(savedInvStd, op, "savedInvStd"),
            Address(dx, op, "dx"), Address(dGamma, op, "dGamma"), Address(dBeta, op, "dBeta"));
        GC.KeepAlive(x);
        GC.KeepAlive(dy);
        GC.KeepAlive(gamma);
        GC.KeepAlive(savedMean);
        GC.KeepAlive(savedInvStd);
        GC.KeepAlive(dx);
        GC.KeepAlive(dGamma);
        GC.KeepAlive(dBeta);
    }

    /// <inheritdoc/>
    public void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale)
    {
        const string op = "LrnForward";
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.LrnForward(this, parameters, x, y, scale);
        NormalizationKernels.LrnForward(x.DataType, new ChannelPlanes(batch, channels, spatial), parameters,
            Address(x, op, "x"), Address(y, op, "y"), Address(scale, op, "scale"));
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        GC.KeepAlive(scale);
    }

    /// <inheritdoc/>
    public void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx)
    {
        const string op = "LrnBackward";
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.LrnBackward(this, parameters, x, y, scale, dy, dx);
        NormalizationKernels.LrnBackward(x.DataType, new ChannelPlanes(batch, channels, spatial), parameters,
            Address(x, op, "x"), Address(y, op, "y"), Address(scale, op, "scale"), Address(dy, op, "dy"), Address(dx, op, "dx"));
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        GC.KeepAlive(scale);
        GC.KeepAlive(dy);
        GC.KeepAlive(dx);
    }

    // ---- Random, optimiser -------------------------------------------------------------------

    /// <inheritdoc/>
    public void DropoutMask(Tensor mask, double p, ulong seed)
    {
        ThrowIfDisposed();
        BackendContract.DropoutMask(this, mask, p, seed);
        RandomKernels.DropoutMask(mask.DataType, Address(mask, "DropoutMask", "mask"), (int)mask.ElementCount, p, seed);
        GC.KeepAlive(mask);
    }

    /// <inheritdoc/>
    public void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed)
    {
        ThrowIfDisposed();
        BackendContract.FillRandom(this, x, distribution, a, b, seed);
        RandomKernels.FillRandom(x.DataType, Address(x, "FillRandom", "x"), (int)x.ElementCount, distribution, a, b, seed);
        GC.KeepAlive(x);
    }

    /// <inheritdoc/>
    public void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3)
    {
        const string op = "OptimizerUpdate";
        ThrowIfDisposed();
        BackendContract.OptimizerUpdate(this, rule, h, value, gradient, state1, state2, state3);
        OptimizerKernels.Update(rule, h, value.DataType, Address(value, op, rule, "value"), Address(gradient, op, rule, "gradient"),
            state1 is null ? 0 : Address(state1, op, rule, "state1"), state2 is null ? 0 : Address(state2, op, rule, "state2"),
            state3 is null ? 0 : Address(state3, op, rule, "state3"), (int)value.ElementCount);
        GC.KeepAlive(value);
        GC.KeepAlive(gradient);
        GC.KeepAlive(state1);
        GC.KeepAlive(state2);
        GC.KeepAlive(state3);
    }

    // ---- Metrics: a step that reports without a host read ------------------------------------

    /// <inheritdoc/>
    public void OneHot(Tensor labels, Tensor y)
    {
        const string op = "OneHot";
        ThrowIfDisposed();
        BackendContract.OneHot(this, labels, y);
        MetricKernels.OneHot(Address(labels, op, "labels"), y.DataType, Address(y, op, "y"), y.Shape[0], y.Shape[1]);
        GC.KeepAlive(labels);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    public void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator)
    {
        const string op = "AccumulateLoss";
        ThrowIfDisposed();
        BackendContract.AccumulateLoss(this, value, weight, step, accumulator);
        MetricKernels.AccumulateLoss(value.DataType, Address(value, op, "value"), weight, step, Address(accumulator, op, "accumulator"));
        GC.KeepAlive(value);
        GC.KeepAlive(accumulator);
    }

    /// <inheritdoc/>
    public void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts)
    {
        const string op = "AccumulateTopK";
        ThrowIfDisposed();
        BackendContract.AccumulateTopK(this, logits, labels, counts);
        MetricKernels.AccumulateTopK(logits.DataType, Address(logits, op, "logits"), Address(labels, op, "labels"), Address(counts, op, "counts"),
            logits.Shape[0], logits.Shape[1], (int)counts.ElementCount);
        GC.KeepAlive(logits);
        GC.KeepAlive(labels);
        GC.KeepAlive(counts);
    }

    /// <inheritdoc/>
    public void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix)
    {
        const string op = "AccumulateConfusion";
        ThrowIfDisposed();
        BackendContract.AccumulateConfusion(this, logits, labels, matrix);
        MetricKernels.AccumulateConfusion(logits.DataType, Address(logits, op, "logits"), Address(labels, op, "labels"), Address(matrix, op, "matrix"),
            logits.Shape[0], logits.Shape[1]);
        GC.KeepAlive(logits);
        GC.KeepAlive(labels);
        GC.KeepAlive(matrix);
    }

    /// <inheritdoc/>
    public void SumOfSquares(Tensor x, Tensor accumulator, double beta)
    {
        const string op = "SumOfSquares";
        ThrowIfDisposed();
        BackendContract.SumOfSquares(this, x, accumulator, beta);
        MetricKernels.SumOfSquares(x.DataType, Address(x, op, "x"), (int)x.ElementCount, Address(accumulator, op, "accumulator"), beta);
        GC.KeepAlive(x);
        GC.KeepAlive(accumulator);
    }

    /// <inheritdoc/>
    public void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x)
    {
        const string op = "ClipToNorm";
        ThrowIfDisposed();
        BackendContract.ClipToNorm(this, sumOfSquares, maxNorm, x);
        MetricKernels.ClipToNorm(Address(sumOfSquares, op, "sumOfSquares"), maxNorm, x.DataType, Address(x, op, "x"), (int)x.ElementCount);
        GC.KeepAlive(sumOfSquares);
        GC.KeepAlive(x);
    }

    // ---- Lifetime and operands ---------------------------------------------------------------

    /// <summary>
    /// Marks the backend closed: later calls throw <see cref="ObjectDisposedException"/>. Tensors it
    /// allocated stay valid until they are disposed themselves; its own scratch memory is freed.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        _workspace.Release();
    }

    /// <inheritdoc/>
    public override string ToString() => $"openblas ({Description})";

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>
    /// The native address of an operand the contract has accepted. The contract checks ownership by
    /// the storage's owner; a tensor built by hand over storage of another type (no owner, this
    /// backend named as its backend) is refused here.
    /// </summary>
    private static nint Address(Tensor tensor, string op, string name) =>
        tensor.Storage is CpuStorage storage ? storage.Pointer : throw ForeignStorage(op, name, tensor);

    /// <summary><see cref="Address(Tensor, string, string)"/> for ops named by a variant, e.g. <c>Unary(Relu)</c>; the name is formatted only for an error.</summary>
    private static nint Address<TVariant>(Tensor tensor, string op, TVariant variant, string name) where TVariant : struct, Enum =>
        tensor.Storage is CpuStorage storage ? storage.Pointer : throw ForeignStorage($"{op}({variant})", name, tensor);

    private static ArgumentException ForeignStorage(string op, string name, Tensor tensor) => new(
        $"{op}: {name} {tensor.Shape} has storage of type {tensor.Storage.GetType().Name}, not this backend's; a backend computes only on tensors it allocated",
        name);
}
