namespace Engine.Tests;

/// <summary>
/// A deliberately partial backend for fallback tests: a decorator over another backend that says
/// no to some op families (and throws if one is called anyway, so a test proves it never is). Its
/// tensors carry the decorator as their backend over the inner backend's storage (the SDK's
/// <see cref="TensorStorage.Owner"/> rule), so the inner backend still recognises them.
/// </summary>
internal sealed class PartialBackend(IBackend inner, IReadOnlySet<BackendOp> refused, string name = "partial") : IBackend
{
    public string Name => name;

    public DeviceKind Device => inner.Device;

    public string Description => $"{inner.Name} without {string.Join(", ", refused.Select(OpNames.Of))} (a test backend)";

    public BackendTraits Traits => inner.Traits;

    public bool Supports(OpDescriptor descriptor) => !refused.Contains(descriptor.Op) && inner.Supports(descriptor);

    public Tensor Allocate(Shape shape, DataType dataType = DataType.Float32) =>
        new(this, inner.Allocate(shape, dataType).Storage, shape, dataType);

    public void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged => inner.CopyFromHost(source, destination);

    public void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged => inner.CopyToHost(source, destination);

    public void Copy(Tensor source, Tensor destination) => inner.Copy(source, destination);

    public void Synchronize() => inner.Synchronize();

    public void Fill(Tensor x, double value) => inner.Fill(x, value);

    public void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c) => inner.Gemm(transposeA, transposeB, alpha, a, b, beta, c);

    public void Unary(UnaryOp op, Tensor x, Tensor y) => inner.Unary(op, x, y);

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) => inner.Binary(op, a, b, y);

    public void Axpby(double alpha, Tensor x, double beta, Tensor y) => inner.Axpby(alpha, x, beta, y);

    public void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0) => inner.ActivationForward(activation, x, y, alpha);

    public void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0) => inner.ActivationBackward(activation, x, y, dy, dx, alpha);

    public void AddChannelBias(Tensor y, Tensor bias) => inner.AddChannelBias(y, bias);

    public void SumChannels(Tensor x, Tensor sums, double beta = 0) => inner.SumChannels(x, sums, beta);

    public void Sum(Tensor x, Tensor result) => inner.Sum(x, result);

    public void Softmax(Tensor x, Tensor y, bool log = false) => inner.Softmax(x, y, log);

    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false) => inner.SoftmaxBackward(y, dy, dx, log);

    public void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => Allowed(BackendOp.Convolution).ConvolutionForward(geometry, x, w, y);

    public void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => Allowed(BackendOp.Convolution).ConvolutionBackwardData(geometry, dy, w, dx);

    public void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => Allowed(BackendOp.Convolution).ConvolutionBackwardFilter(geometry, x, dy, dw);

    public void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => Allowed(BackendOp.LocallyConnected).LocallyConnectedForward(geometry, x, w, y);

    public void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => Allowed(BackendOp.LocallyConnected).LocallyConnectedBackwardData(geometry, dy, w, dx);

    public void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => Allowed(BackendOp.LocallyConnected).LocallyConnectedBackwardFilter(geometry, x, dy, dw);

    public void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y) => Allowed(BackendOp.Pooling).PoolingForward(geometry, x, y);

    public void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx) => Allowed(BackendOp.Pooling).PoolingBackward(geometry, x, y, dy, dx);

    public void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training) =>
        Allowed(BackendOp.BatchNorm).BatchNormForward(x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training);

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) =>
        Allowed(BackendOp.BatchNorm).BatchNormBackward(x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);

    public void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale) => Allowed(BackendOp.Lrn).LrnForward(parameters, x, y, scale);

    public void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx) => Allowed(BackendOp.Lrn).LrnBackward(parameters, x, y, scale, dy, dx);

    public void DropoutMask(Tensor mask, double p, ulong seed) => inner.DropoutMask(mask, p, seed);

    public void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels) => inner.CopyChannels(source, sourceOffset, destination, destinationOffset, channels);

    public void ScaleChannels(Tensor x, Tensor scale, Tensor y) => inner.ScaleChannels(x, scale, y);

    public void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed) => inner.FillRandom(x, distribution, a, b, seed);

    public void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3) =>
        inner.OptimizerUpdate(rule, h, value, gradient, state1, state2, state3);

    public void OneHot(Tensor labels, Tensor y) => inner.OneHot(labels, y);

    public void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator) => inner.AccumulateLoss(value, weight, step, accumulator);

    public void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts) => inner.AccumulateTopK(logits, labels, counts);

    public void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix) => inner.AccumulateConfusion(logits, labels, matrix);

    public void SumOfSquares(Tensor x, Tensor accumulator, double beta) => inner.SumOfSquares(x, accumulator, beta);

    public void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x) => inner.ClipToNorm(sumOfSquares, maxNorm, x);

    public void Dispose() => inner.Dispose();

    private IBackend Allowed(BackendOp op) =>
        refused.Contains(op) ? throw new NotSupportedException($"{name} was called for {OpNames.Of(op)}, which it says it does not support") : inner;
}
