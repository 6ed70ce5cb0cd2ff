namespace Engine.Backend.OpenBlas;

// PENDING (issue 3, activations/channels helper).
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0) => throw Pending();

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false) => throw Pending();

    /// <inheritdoc/>
    public void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels) => throw Pending();

    /// <inheritdoc/>
    public void ScaleChannels(Tensor x, Tensor scale, Tensor y) => throw Pending();
}
