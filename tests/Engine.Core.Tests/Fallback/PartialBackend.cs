namespace Engine.Tests;

/// <summary>
/// A deliberately partial backend for fallback tests: a decorator over another backend (which it
/// owns) that says no to some op families, and throws if one is called anyway, so a test proves it
/// never is. Everything else is <see cref="BackendDecorator"/>'s forwarding.
/// </summary>
internal sealed class PartialBackend(IBackend inner, IReadOnlySet<BackendOp> refused, string name = "partial") : BackendDecorator(inner, ownsInner: true)
{
    public override string Name => name;

    public override string Description => $"{Inner.Name} without {string.Join(", ", refused.Select(OpNames.Of))} (a test backend)";

    public override bool Supports(OpDescriptor descriptor) => !refused.Contains(descriptor.Op) && base.Supports(descriptor);

    public override void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => Allowed(BackendOp.Convolution).ConvolutionForward(geometry, x, w, y);

    public override void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => Allowed(BackendOp.Convolution).ConvolutionBackwardData(geometry, dy, w, dx);

    public override void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => Allowed(BackendOp.Convolution).ConvolutionBackwardFilter(geometry, x, dy, dw);

    public override void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => Allowed(BackendOp.LocallyConnected).LocallyConnectedForward(geometry, x, w, y);

    public override void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => Allowed(BackendOp.LocallyConnected).LocallyConnectedBackwardData(geometry, dy, w, dx);

    public override void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => Allowed(BackendOp.LocallyConnected).LocallyConnectedBackwardFilter(geometry, x, dy, dw);

    public override void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y) => Allowed(BackendOp.Pooling).PoolingForward(geometry, x, y);

    public override void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx) => Allowed(BackendOp.Pooling).PoolingBackward(geometry, x, y, dy, dx);

    public override void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training) =>
        Allowed(BackendOp.BatchNorm).BatchNormForward(x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training);

    public override void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) =>
        Allowed(BackendOp.BatchNorm).BatchNormBackward(x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);

    public override void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale) => Allowed(BackendOp.Lrn).LrnForward(parameters, x, y, scale);

    public override void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx) => Allowed(BackendOp.Lrn).LrnBackward(parameters, x, y, scale, dy, dx);

    // The inner backend when the family is not refused; otherwise the call is a bug in the caller's placement.
    private IBackend Allowed(BackendOp op) =>
        refused.Contains(op) ? throw new NotSupportedException($"{name} was called for {OpNames.Of(op)}, which it says it does not support") : Inner;
}
