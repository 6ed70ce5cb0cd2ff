namespace Engine.Backend.Cudnn;

/// <summary>Optimizers ops (placeholder until the kernels land).</summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3) => throw new NotImplementedException("cudnn: Optimizers kernels are not written yet");
}
