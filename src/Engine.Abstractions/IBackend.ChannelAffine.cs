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

    /// <summary>
    /// <see cref="ConvolutionForward"/> followed by <see cref="ChannelAffine"/>(y, scale, shift, y,
    /// activation, alpha), the same result: a backend that computes a convolution sample by sample can
    /// finish each sample's output while it is still in cache instead of reading the whole output
    /// again. The default makes the two calls.
    /// </summary>
    void ConvolutionForwardWithEpilogue(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y, Tensor scale, Tensor shift, Activation? activation = null, double alpha = 0)
    {
        ConvolutionForward(geometry, x, w, y);
        ChannelAffine(y, scale, shift, y, activation, alpha);
    }

    /// <summary>
    /// <see cref="ConvolutionForwardWithEpilogue"/> followed by <see cref="PoolingForward"/>(<paramref name="pool"/>)
    /// of its output, written to <paramref name="y"/> (the pooled shape) without the full-size convolution
    /// output ever being stored, when the backend has a kernel for this combination; returns false,
    /// having written nothing, when it has none (the default), and the caller then makes the two calls.
    /// An inference pass of a convolution, its bias/normalisation/activation and the pooling after them
    /// thus reads and writes only the pooled activations.
    /// </summary>
    bool TryConvolutionForwardPooled(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Activation? activation, double alpha,
        PoolingGeometry pool, Tensor y) => false;

    /// <summary>
    /// <see cref="ConvolutionForwardWithEpilogue"/> with a residual added before the activation, written to
    /// <paramref name="y"/>: y = f(scale[k]·(x ∗ w) + shift[k] + residual), residual having y's shape (a
    /// residual block's second convolution, its batch normalisation, the shortcut's sum and the ReLU after it),
    /// when the backend has a kernel for it; returns false, having written nothing, when it has none (the
    /// default), and the caller then makes the separate calls (<see cref="ConvolutionForwardWithEpilogue"/>
    /// without the activation, <see cref="Binary"/> add, <see cref="ActivationForward"/>). Where a backend
    /// takes it, the result is bit for bit that of those calls on that backend.
    /// </summary>
    bool TryConvolutionForwardResidual(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Tensor residual,
        Activation? activation, double alpha, Tensor y) => false;
}
