namespace Engine.Backend.Cudnn;

/// <summary>LocallyConnected ops (placeholder until the kernels land).</summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => throw new NotImplementedException("cudnn: LocallyConnected kernels are not written yet");

    /// <inheritdoc/>
    public void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => throw new NotImplementedException("cudnn: LocallyConnected kernels are not written yet");

    /// <inheritdoc/>
    public void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => throw new NotImplementedException("cudnn: LocallyConnected kernels are not written yet");
}
