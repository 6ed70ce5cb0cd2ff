namespace Engine.Core;

/// <summary>
/// A decorator that forwards every call to another backend and counts the calls that make the host
/// wait for the device: <see cref="IBackend.CopyToHost{T}"/> (host reads) and
/// <see cref="IBackend.Synchronize"/>. It is how a run proves that its steps stay on the device
/// (<c>engine bench train</c> prints host syncs per step). Tensors it allocates carry it as their
/// <see cref="Tensor.Backend"/>, so everything a network does with them is counted, while their
/// storage stays the inner backend's (<see cref="TensorStorage.Owner"/>), which computes on them.
/// Counters are plain fields: use it from one thread, as backends are.
/// </summary>
public sealed class CountingBackend : IBackend
{
    private readonly IBackend _inner;
    private readonly bool _ownsInner;

    /// <summary>Wraps <paramref name="inner"/>; disposes it too when <paramref name="ownsInner"/>.</summary>
    public CountingBackend(IBackend inner, bool ownsInner = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _ownsInner = ownsInner;
    }

    /// <summary>The wrapped backend.</summary>
    public IBackend Inner => _inner;

    /// <summary><see cref="IBackend.CopyToHost{T}"/> calls so far.</summary>
    public long HostReads { get; private set; }

    /// <summary><see cref="IBackend.Synchronize"/> calls so far.</summary>
    public long Synchronizations { get; private set; }

    /// <summary>Host reads and synchronisations: every call that waits for the device.</summary>
    public long HostSyncs => HostReads + Synchronizations;

    /// <summary><see cref="IBackend.CopyFromHost{T}"/> calls so far (uploads do not wait, but are worth knowing).</summary>
    public long Uploads { get; private set; }

    /// <summary>Sets the counters to zero.</summary>
    public void ResetCounts() => (HostReads, Synchronizations, Uploads) = (0, 0, 0);

    /// <inheritdoc/>
    public string Name => _inner.Name;

    /// <inheritdoc/>
    public DeviceKind Device => _inner.Device;

    /// <inheritdoc/>
    public string Description => _inner.Description;

    /// <inheritdoc/>
    public BackendTraits Traits => _inner.Traits;

    /// <inheritdoc/>
    public bool Supports(OpDescriptor descriptor) => _inner.Supports(descriptor);

    /// <inheritdoc/>
    public Tensor Allocate(Shape shape, DataType dataType = DataType.Float32)
    {
        Tensor inner = _inner.Allocate(shape, dataType);
        return new Tensor(this, inner.Storage, shape, dataType); // owns the storage: disposing it frees the inner memory
    }

    /// <inheritdoc/>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged
    {
        Uploads++;
        _inner.CopyFromHost(source, destination);
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        HostReads++;
        _inner.CopyToHost(source, destination);
    }

    /// <inheritdoc/>
    public void Synchronize()
    {
        Synchronizations++;
        _inner.Synchronize();
    }

    /// <inheritdoc/>
    public void Copy(Tensor source, Tensor destination) => _inner.Copy(source, destination);

    /// <inheritdoc/>
    public void Fill(Tensor x, double value) => _inner.Fill(x, value);

    /// <inheritdoc/>
    public void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c) => _inner.Gemm(transposeA, transposeB, alpha, a, b, beta, c);

    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor y) => _inner.Unary(op, x, y);

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) => _inner.Binary(op, a, b, y);

    /// <inheritdoc/>
    public void Axpby(double alpha, Tensor x, double beta, Tensor y) => _inner.Axpby(alpha, x, beta, y);

    /// <inheritdoc/>
    public void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0) => _inner.ActivationForward(activation, x, y, alpha);

    /// <inheritdoc/>
    public void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0) => _inner.ActivationBackward(activation, x, y, dy, dx, alpha);

    /// <inheritdoc/>
    public void AddChannelBias(Tensor y, Tensor bias) => _inner.AddChannelBias(y, bias);

    /// <inheritdoc/>
    public void SumChannels(Tensor x, Tensor sums, double beta = 0) => _inner.SumChannels(x, sums, beta);

    /// <inheritdoc/>
    public void Sum(Tensor x, Tensor result) => _inner.Sum(x, result);

    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor y, bool log = false) => _inner.Softmax(x, y, log);

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false) => _inner.SoftmaxBackward(y, dy, dx, log);

    /// <inheritdoc/>
    public void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => _inner.ConvolutionForward(geometry, x, w, y);

    /// <inheritdoc/>
    public void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => _inner.ConvolutionBackwardData(geometry, dy, w, dx);

    /// <inheritdoc/>
    public void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => _inner.ConvolutionBackwardFilter(geometry, x, dy, dw);

    /// <inheritdoc/>
    public void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => _inner.LocallyConnectedForward(geometry, x, w, y);

    /// <inheritdoc/>
    public void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => _inner.LocallyConnectedBackwardData(geometry, dy, w, dx);

    /// <inheritdoc/>
    public void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => _inner.LocallyConnectedBackwardFilter(geometry, x, dy, dw);

    /// <inheritdoc/>
    public void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y) => _inner.PoolingForward(geometry, x, y);

    /// <inheritdoc/>
    public void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx) => _inner.PoolingBackward(geometry, x, y, dy, dx);

    /// <inheritdoc/>
    public void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training) =>
        _inner.BatchNormForward(x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training);

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) =>
        _inner.BatchNormBackward(x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);

    /// <inheritdoc/>
    public void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale) => _inner.LrnForward(parameters, x, y, scale);

    /// <inheritdoc/>
    public void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx) => _inner.LrnBackward(parameters, x, y, scale, dy, dx);

    /// <inheritdoc/>
    public void DropoutMask(Tensor mask, double p, ulong seed) => _inner.DropoutMask(mask, p, seed);

    /// <inheritdoc/>
    public void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels) =>
        _inner.CopyChannels(source, sourceOffset, destination, destinationOffset, channels);

    /// <inheritdoc/>
    public void ScaleChannels(Tensor x, Tensor scale, Tensor y) => _inner.ScaleChannels(x, scale, y);

    /// <inheritdoc/>
    public void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed) => _inner.FillRandom(x, distribution, a, b, seed);

    /// <inheritdoc/>
    public void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3) =>
        _inner.OptimizerUpdate(rule, h, value, gradient, state1, state2, state3);

    /// <inheritdoc/>
    public void OneHot(Tensor labels, Tensor y) => _inner.OneHot(labels, y);

    /// <inheritdoc/>
    public void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator) => _inner.AccumulateLoss(value, weight, step, accumulator);

    /// <inheritdoc/>
    public void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts) => _inner.AccumulateTopK(logits, labels, counts);

    /// <inheritdoc/>
    public void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix) => _inner.AccumulateConfusion(logits, labels, matrix);

    /// <inheritdoc/>
    public void SumOfSquares(Tensor x, Tensor accumulator, double beta) => _inner.SumOfSquares(x, accumulator, beta);

    /// <inheritdoc/>
    public void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x) => _inner.ClipToNorm(sumOfSquares, maxNorm, x);

    /// <summary>Disposes the inner backend when this decorator owns it.</summary>
    public void Dispose()
    {
        if (_ownsInner)
        {
            _inner.Dispose();
        }
    }
}
