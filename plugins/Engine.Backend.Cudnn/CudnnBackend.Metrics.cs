namespace Engine.Backend.Cudnn;

/// <summary>Metrics ops (placeholder until the kernels land).</summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void OneHot(Tensor labels, Tensor y) => throw new NotImplementedException("cudnn: Metrics kernels are not written yet");

    /// <inheritdoc/>
    public void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator) => throw new NotImplementedException("cudnn: Metrics kernels are not written yet");

    /// <inheritdoc/>
    public void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts) => throw new NotImplementedException("cudnn: Metrics kernels are not written yet");

    /// <inheritdoc/>
    public void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix) => throw new NotImplementedException("cudnn: Metrics kernels are not written yet");

    /// <inheritdoc/>
    public void SumOfSquares(Tensor x, Tensor accumulator, double beta) => throw new NotImplementedException("cudnn: Metrics kernels are not written yet");

    /// <inheritdoc/>
    public void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x) => throw new NotImplementedException("cudnn: Metrics kernels are not written yet");
}
