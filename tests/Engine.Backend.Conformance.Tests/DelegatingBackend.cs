namespace Engine.Backend.Conformance.Tests;

/// <summary>
/// A decorator that passes every call to an inner backend, handing out tensors whose
/// <see cref="Tensor.Backend"/> is the decorator over the inner backend's storage (which the inner
/// backend still recognises by <see cref="TensorStorage.Owner"/>). Tests override one member to
/// break it.
/// </summary>
public class DelegatingBackend(IBackend inner) : IBackend
{
    protected IBackend Inner { get; } = inner;

    public virtual string Name => "broken-" + Inner.Name;

    public DeviceKind Device => Inner.Device;

    public string Description => "a test decorator over " + Inner.Name;

    public virtual BackendTraits Traits => Inner.Traits;

    public virtual bool Supports(OpDescriptor descriptor) => Inner.Supports(descriptor);

    public Tensor Allocate(Shape shape, DataType dataType = DataType.Float32) =>
        new(this, Inner.Allocate(shape, dataType).Storage, shape, dataType);

    public void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged => Inner.CopyFromHost(source, destination);

    public void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged => Inner.CopyToHost(source, destination);

    public void Copy(Tensor source, Tensor destination) => Inner.Copy(source, destination);

    public void Synchronize() => Inner.Synchronize();

    public void Fill(Tensor x, double value) => Inner.Fill(x, value);

    public virtual void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c) => Inner.Gemm(transposeA, transposeB, alpha, a, b, beta, c);

    public void Unary(UnaryOp op, Tensor x, Tensor y) => Inner.Unary(op, x, y);

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) => Inner.Binary(op, a, b, y);

    public void Axpby(double alpha, Tensor x, double beta, Tensor y) => Inner.Axpby(alpha, x, beta, y);

    public void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0) => Inner.ActivationForward(activation, x, y, alpha);

    public void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0) => Inner.ActivationBackward(activation, x, y, dy, dx, alpha);

    public void AddChannelBias(Tensor y, Tensor bias) => Inner.AddChannelBias(y, bias);

    public void SumChannels(Tensor x, Tensor sums, double beta = 0) => Inner.SumChannels(x, sums, beta);

    public void Sum(Tensor x, Tensor result) => Inner.Sum(x, result);

    public void Softmax(Tensor x, Tensor y, bool log = false) => Inner.Softmax(x, y, log);

    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false) => Inner.SoftmaxBackward(y, dy, dx, log);

    public virtual void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => Inner.ConvolutionForward(geometry, x, w, y);

    public void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => Inner.ConvolutionBackwardData(geometry, dy, w, dx);

    public virtual void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => Inner.ConvolutionBackwardFilter(geometry, x, dy, dw);

    public void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => Inner.LocallyConnectedForward(geometry, x, w, y);

    public void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => Inner.LocallyConnectedBackwardData(geometry, dy, w, dx);

    public void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => Inner.LocallyConnectedBackwardFilter(geometry, x, dy, dw);

    public void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y) => Inner.PoolingForward(geometry, x, y);

    public virtual void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx) => Inner.PoolingBackward(geometry, x, y, dy, dx);

    public void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training) =>
        Inner.BatchNormForward(x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training);

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) =>
        Inner.BatchNormBackward(x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);

    public virtual void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale) => Inner.LrnForward(parameters, x, y, scale);

    public void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx) => Inner.LrnBackward(parameters, x, y, scale, dy, dx);

    public void DropoutMask(Tensor mask, double p, ulong seed) => Inner.DropoutMask(mask, p, seed);

    public void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels) =>
        Inner.CopyChannels(source, sourceOffset, destination, destinationOffset, channels);

    public void ScaleChannels(Tensor x, Tensor scale, Tensor y) => Inner.ScaleChannels(x, scale, y);

    public void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed) => Inner.FillRandom(x, distribution, a, b, seed);

    public void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3) =>
        Inner.OptimizerUpdate(rule, h, value, gradient, state1, state2, state3);

    public void OneHot(Tensor labels, Tensor y) => Inner.OneHot(labels, y);

    public void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator) => Inner.AccumulateLoss(value, weight, step, accumulator);

    public virtual void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts) => Inner.AccumulateTopK(logits, labels, counts);

    public void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix) => Inner.AccumulateConfusion(logits, labels, matrix);

    public void SumOfSquares(Tensor x, Tensor accumulator, double beta) => Inner.SumOfSquares(x, accumulator, beta);

    public void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x) => Inner.ClipToNorm(sumOfSquares, maxNorm, x);

    public void Dispose()
    {
        Inner.Dispose();
        GC.SuppressFinalize(this);
    }
}
