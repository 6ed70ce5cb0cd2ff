namespace Engine.Backend.Cudnn;

/// <summary>Elementwise ops (placeholder until the kernels land).</summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor y) => throw new NotImplementedException("cudnn: Elementwise kernels are not written yet");

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) => throw new NotImplementedException("cudnn: Elementwise kernels are not written yet");

    /// <inheritdoc/>
    public void Axpby(double alpha, Tensor x, double beta, Tensor y) => throw new NotImplementedException("cudnn: Elementwise kernels are not written yet");

    /// <inheritdoc/>
    public void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0) => throw new NotImplementedException("cudnn: Elementwise kernels are not written yet");

    /// <inheritdoc/>
    public void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0) => throw new NotImplementedException("cudnn: Elementwise kernels are not written yet");
}
