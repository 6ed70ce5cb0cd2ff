namespace Engine;

/// <summary>
/// A backend that wraps another backend and passes every call on to it: the base class for
/// decorators that change or watch a few calls and leave the rest alone. Derive from it and
/// override only what the decorator is for, such as counting the calls that wait for the device
/// (host reads, synchronisations) to prove that training steps stay on it, refusing some op
/// families to test a host's fallback, corrupting or throwing in one op to check that the
/// conformance kit catches it (fault injection), or timing each op (profiling). Every member is
/// virtual and forwards to <see cref="Inner"/>; an override that still wants the real work calls
/// the base member.
/// </summary>
/// <remarks>
/// <para>
/// Tensors from <see cref="Allocate"/> carry the decorator as their <see cref="Tensor.Backend"/>,
/// so every call a network or loss makes with them goes through the decorator (a call made as
/// <c>tensor.Backend.Op(…)</c> would otherwise bypass it). Their <see cref="Tensor.Storage"/> is
/// the inner backend's own memory, whose <see cref="TensorStorage.Owner"/> is the inner backend,
/// so the inner backend recognises the tensors as its own when the calls reach it
/// (<see cref="BackendContract.Owned"/> checks the owner of the storage, not the tensor's backend).
/// The inner backend must therefore create its storage with itself as owner, as SDK 2 backends do.
/// Disposing such a tensor frees the inner backend's memory.
/// </para>
/// <para>
/// A decorator is used from one thread, like any backend; it adds no locking.
/// </para>
/// </remarks>
public abstract class BackendDecorator : IBackend
{
    private readonly bool _ownsInner;
    private bool _disposed;

    /// <summary>
    /// Wraps <paramref name="inner"/>. When <paramref name="ownsInner"/> is true, disposing the
    /// decorator disposes the inner backend too; otherwise the caller still owns it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    protected BackendDecorator(IBackend inner, bool ownsInner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
        _ownsInner = ownsInner;
    }

    /// <summary>The wrapped backend, which every member forwards to and which owns the memory.</summary>
    public IBackend Inner { get; }

    /// <inheritdoc/>
    public virtual string Name => Inner.Name;

    /// <inheritdoc/>
    public virtual DeviceKind Device => Inner.Device;

    /// <inheritdoc/>
    public virtual string Description => Inner.Description;

    /// <inheritdoc/>
    public virtual BackendTraits Traits => Inner.Traits;

    /// <inheritdoc/>
    public virtual bool Supports(OpDescriptor descriptor) => Inner.Supports(descriptor);

    /// <summary>
    /// Allocates the memory on <see cref="Inner"/> and returns a tensor over it whose
    /// <see cref="Tensor.Backend"/> is this decorator (see the remarks of <see cref="BackendDecorator"/>).
    /// The tensor owns the storage: disposing it frees the inner backend's memory.
    /// </summary>
    public virtual Tensor Allocate(Shape shape, DataType dataType = DataType.Float32)
    {
        Tensor inner = Inner.Allocate(shape, dataType);
        return new Tensor(this, inner.Storage, shape, dataType);
    }

    /// <inheritdoc/>
    public virtual void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged => Inner.CopyFromHost(source, destination);

    /// <inheritdoc/>
    public virtual void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged => Inner.CopyToHost(source, destination);

    /// <inheritdoc/>
    public virtual void Copy(Tensor source, Tensor destination) => Inner.Copy(source, destination);

    /// <inheritdoc/>
    public virtual void Synchronize() => Inner.Synchronize();

    /// <inheritdoc/>
    public virtual void Fill(Tensor x, double value) => Inner.Fill(x, value);

    /// <inheritdoc/>
    public virtual void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c) =>
        Inner.Gemm(transposeA, transposeB, alpha, a, b, beta, c);

    /// <inheritdoc/>
    public virtual void Unary(UnaryOp op, Tensor x, Tensor y) => Inner.Unary(op, x, y);

    /// <inheritdoc/>
    public virtual void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) => Inner.Binary(op, a, b, y);

    /// <inheritdoc/>
    public virtual void Axpby(double alpha, Tensor x, double beta, Tensor y) => Inner.Axpby(alpha, x, beta, y);

    /// <inheritdoc/>
    public virtual void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0) => Inner.ActivationForward(activation, x, y, alpha);

    /// <inheritdoc/>
    public virtual void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0) =>
        Inner.ActivationBackward(activation, x, y, dy, dx, alpha);

    /// <inheritdoc/>
    public virtual void AddChannelBias(Tensor y, Tensor bias) => Inner.AddChannelBias(y, bias);

    /// <inheritdoc/>
    public virtual void SumChannels(Tensor x, Tensor sums, double beta = 0) => Inner.SumChannels(x, sums, beta);

    /// <inheritdoc/>
    public virtual void Sum(Tensor x, Tensor result) => Inner.Sum(x, result);

    /// <inheritdoc/>
    public virtual void Softmax(Tensor x, Tensor y, bool log = false) => Inner.Softmax(x, y, log);

    /// <inheritdoc/>
    public virtual void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false) => Inner.SoftmaxBackward(y, dy, dx, log);

    /// <inheritdoc/>
    public virtual void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => Inner.ConvolutionForward(geometry, x, w, y);

    /// <inheritdoc/>
    public virtual void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => Inner.ConvolutionBackwardData(geometry, dy, w, dx);

    /// <inheritdoc/>
    public virtual void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => Inner.ConvolutionBackwardFilter(geometry, x, dy, dw);

    /// <inheritdoc/>
    public virtual void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => Inner.LocallyConnectedForward(geometry, x, w, y);

    /// <inheritdoc/>
    public virtual void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) =>
        Inner.LocallyConnectedBackwardData(geometry, dy, w, dx);

    /// <inheritdoc/>
    public virtual void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) =>
        Inner.LocallyConnectedBackwardFilter(geometry, x, dy, dw);

    /// <inheritdoc/>
    public virtual void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y) => Inner.PoolingForward(geometry, x, y);

    /// <inheritdoc/>
    public virtual void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx) => Inner.PoolingBackward(geometry, x, y, dy, dx);

    /// <inheritdoc/>
    public virtual int PoolingWorkspaceSize(PoolingGeometry geometry, Shape x, DataType dataType) => Inner.PoolingWorkspaceSize(geometry, x, dataType);

    /// <inheritdoc/>
    public virtual void PoolingForwardWithWorkspace(PoolingGeometry geometry, Tensor x, Tensor y, Tensor workspace) => Inner.PoolingForwardWithWorkspace(geometry, x, y, workspace);

    /// <inheritdoc/>
    public virtual void PoolingBackwardWithWorkspace(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor workspace) =>
        Inner.PoolingBackwardWithWorkspace(geometry, x, y, dy, dx, workspace);

    /// <inheritdoc/>
    public virtual void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training) =>
        Inner.BatchNormForward(x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training);

    /// <inheritdoc/>
    public virtual void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) =>
        Inner.BatchNormBackward(x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);

    /// <inheritdoc/>
    public virtual bool FusesBatchNormRelu(DataType dataType) => Inner.FusesBatchNormRelu(dataType);

    /// <inheritdoc/>
    public virtual void BatchNormReluForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum) =>
        Inner.BatchNormReluForward(x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum);

    /// <inheritdoc/>
    public virtual void BatchNormReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor savedMean, Tensor savedInvStd,
        Tensor dx, Tensor dGamma, Tensor dBeta) =>
        Inner.BatchNormReluBackward(x, y, dy, gamma, beta, savedMean, savedInvStd, dx, dGamma, dBeta);

    /// <inheritdoc/>
    public virtual void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale) => Inner.LrnForward(parameters, x, y, scale);

    /// <inheritdoc/>
    public virtual void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx) =>
        Inner.LrnBackward(parameters, x, y, scale, dy, dx);

    /// <inheritdoc/>
    public virtual void DropoutMask(Tensor mask, double p, ulong seed) => Inner.DropoutMask(mask, p, seed);

    /// <inheritdoc/>
    public virtual void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels) =>
        Inner.CopyChannels(source, sourceOffset, destination, destinationOffset, channels);

    /// <inheritdoc/>
    public virtual void ScaleChannels(Tensor x, Tensor scale, Tensor y) => Inner.ScaleChannels(x, scale, y);

    /// <inheritdoc/>
    public virtual void ChannelAffine(Tensor x, Tensor scale, Tensor shift, Tensor y, Activation? activation = null, double alpha = 0) =>
        Inner.ChannelAffine(x, scale, shift, y, activation, alpha);

    /// <inheritdoc/>
    public virtual void ConvolutionForwardWithEpilogue(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y, Tensor scale, Tensor shift, Activation? activation = null, double alpha = 0) =>
        Inner.ConvolutionForwardWithEpilogue(geometry, x, w, y, scale, shift, activation, alpha);

    /// <inheritdoc/>
    public virtual bool TryConvolutionForwardPooled(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Activation? activation, double alpha,
        PoolingGeometry pool, Tensor y) =>
        Inner.TryConvolutionForwardPooled(geometry, x, w, scale, shift, activation, alpha, pool, y);

    /// <inheritdoc/>
    public virtual bool TryConvolutionForwardResidual(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Tensor residual,
        Activation? activation, double alpha, Tensor y) =>
        Inner.TryConvolutionForwardResidual(geometry, x, w, scale, shift, residual, activation, alpha, y);

    /// <inheritdoc/>
    public virtual void ConvolutionForwardBiasActivation(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor? bias, Tensor y, Activation? activation = null, double alpha = 0) =>
        Inner.ConvolutionForwardBiasActivation(geometry, x, w, bias, y, activation, alpha);

    /// <inheritdoc/>
    public virtual bool FusesConvolutionBiasActivation(ConvolutionGeometry geometry, DataType dataType, Activation? activation, bool training) =>
        Inner.FusesConvolutionBiasActivation(geometry, dataType, activation, training);

    /// <inheritdoc/>
    public virtual void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed) => Inner.FillRandom(x, distribution, a, b, seed);

    /// <inheritdoc/>
    public virtual void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3) =>
        Inner.OptimizerUpdate(rule, h, value, gradient, state1, state2, state3);

    /// <inheritdoc/>
    public virtual void OneHot(Tensor labels, Tensor y) => Inner.OneHot(labels, y);

    /// <inheritdoc/>
    public virtual void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator) => Inner.AccumulateLoss(value, weight, step, accumulator);

    /// <inheritdoc/>
    public virtual void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts) => Inner.AccumulateTopK(logits, labels, counts);

    /// <inheritdoc/>
    public virtual void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix) => Inner.AccumulateConfusion(logits, labels, matrix);

    /// <inheritdoc/>
    public virtual void SumOfSquares(Tensor x, Tensor accumulator, double beta) => Inner.SumOfSquares(x, accumulator, beta);

    /// <inheritdoc/>
    public virtual void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x) => Inner.ClipToNorm(sumOfSquares, maxNorm, x);

    /// <summary>Disposes the inner backend when this decorator owns it (see the constructor); later calls do nothing.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Releases what the decorator holds: the inner backend when it owns it. A derived decorator
    /// that holds more overrides this and calls the base method.
    /// </summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>; false from a finalizer.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (disposing && _ownsInner)
        {
            Inner.Dispose();
        }
    }
}
