namespace Engine.Backend.Cudnn;

/// <summary>Normalization ops (placeholder until the kernels land).</summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training) => throw new NotImplementedException("cudnn: Normalization kernels are not written yet");

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) => throw new NotImplementedException("cudnn: Normalization kernels are not written yet");

    /// <inheritdoc/>
    public void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale) => throw new NotImplementedException("cudnn: Normalization kernels are not written yet");

    /// <inheritdoc/>
    public void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx) => throw new NotImplementedException("cudnn: Normalization kernels are not written yet");
}
