namespace Engine;

public partial interface IBackend
{
    /// <summary>
    /// y ← f(x ∗ w + bias[k]): <see cref="ConvolutionForward"/>, the bias per output channel (null: none)
    /// and the activation (null: none) with its parameter <paramref name="alpha"/>. It is a convolution
    /// layer's forward pass together with the activation layer after it, which a training pass can run
    /// as one call where the backend fuses it (<see cref="FusesConvolutionBiasActivation"/>): unlike
    /// <see cref="ConvolutionForwardWithEpilogue"/> there is no scale, so the filters are used as they
    /// are. The default makes the three calls, so its result is that of the layers run one by one.
    /// </summary>
    void ConvolutionForwardBiasActivation(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor? bias, Tensor y, Activation? activation = null, double alpha = 0)
    {
        BackendContract.ConvolutionBiasActivation(this, geometry, x, w, bias, y, activation);
        ConvolutionForward(geometry, x, w, y);
        if (bias is not null)
        {
            AddChannelBias(y, bias);
        }
        if (activation is { } f)
        {
            ActivationForward(f, y, y, alpha);
        }
    }

    /// <summary>
    /// Whether <see cref="ConvolutionForwardBiasActivation"/> runs as one fused operation for this
    /// convolution, data type and activation (in a <paramref name="training"/> pass or an inference
    /// one), so that a network gains by calling it instead of the layers one by one. A backend that
    /// answers false still computes the call (with the default's three operations). Default: false.
    /// </summary>
    bool FusesConvolutionBiasActivation(ConvolutionGeometry geometry, DataType dataType, Activation? activation, bool training) => false;
}
