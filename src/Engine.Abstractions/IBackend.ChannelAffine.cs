namespace Engine;

public partial interface IBackend
{
    /// <summary>
    /// y[n, c, …] ← f(scale[c]·x[n, c, …] + shift[c]), f being <paramref name="activation"/> (null: none)
    /// with its parameter <paramref name="alpha"/>; y may be x. It is what a convolution's bias, the batch
    /// normalisation after it (at inference, with its running statistics) and the activation after that
    /// amount to, so an inference pass can finish a convolution's output in one pass over it instead of
    /// three. The default implementation runs <see cref="ScaleChannels"/>, <see cref="AddChannelBias"/>
    /// and <see cref="ActivationForward"/> one after the other (same result up to rounding); a backend
    /// overrides it with a one-pass kernel.
    /// </summary>
    void ChannelAffine(Tensor x, Tensor scale, Tensor shift, Tensor y, Activation? activation = null, double alpha = 0)
    {
        BackendContract.ChannelAffine(this, x, scale, shift, y, activation);
        ScaleChannels(x, scale, y);
        AddChannelBias(y, shift);
        if (activation is { } f)
        {
            ActivationForward(f, y, y, alpha);
        }
    }
}
