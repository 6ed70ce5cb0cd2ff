namespace Engine.Backend.Cudnn;

/// <summary>Channels ops (placeholder until the kernels land).</summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void AddChannelBias(Tensor y, Tensor bias) => throw new NotImplementedException("cudnn: Channels kernels are not written yet");

    /// <inheritdoc/>
    public void SumChannels(Tensor x, Tensor sums, double beta = 0) => throw new NotImplementedException("cudnn: Channels kernels are not written yet");

    /// <inheritdoc/>
    public void Sum(Tensor x, Tensor result) => throw new NotImplementedException("cudnn: Channels kernels are not written yet");

    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor y, bool log = false) => throw new NotImplementedException("cudnn: Channels kernels are not written yet");

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false) => throw new NotImplementedException("cudnn: Channels kernels are not written yet");

    /// <inheritdoc/>
    public void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels) => throw new NotImplementedException("cudnn: Channels kernels are not written yet");

    /// <inheritdoc/>
    public void ScaleChannels(Tensor x, Tensor scale, Tensor y) => throw new NotImplementedException("cudnn: Channels kernels are not written yet");
}
