namespace Engine.Backend.Cudnn;

/// <summary>Random ops (placeholder until the kernels land).</summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void DropoutMask(Tensor mask, double p, ulong seed) => throw new NotImplementedException("cudnn: Random kernels are not written yet");

    /// <inheritdoc/>
    public void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed) => throw new NotImplementedException("cudnn: Random kernels are not written yet");
}
