namespace Engine.Backend.Cudnn;

/// <summary>Pooling ops (placeholder until the kernels land).</summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y) => throw new NotImplementedException("cudnn: Pooling kernels are not written yet");

    /// <inheritdoc/>
    public void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx) => throw new NotImplementedException("cudnn: Pooling kernels are not written yet");
}
