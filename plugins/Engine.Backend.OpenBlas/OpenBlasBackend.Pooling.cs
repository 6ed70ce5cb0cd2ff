namespace Engine.Backend.OpenBlas;

// PENDING (issue 3, pooling/normalisation helper).
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y) => throw Pending();

    /// <inheritdoc/>
    public void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx) => throw Pending();

    /// <inheritdoc/>
    public void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training) => throw Pending();

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) => throw Pending();

    /// <inheritdoc/>
    public void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale) => throw Pending();

    /// <inheritdoc/>
    public void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx) => throw Pending();

    /// <inheritdoc/>
    public void DropoutMask(Tensor mask, double p, ulong seed) => throw Pending();
}
