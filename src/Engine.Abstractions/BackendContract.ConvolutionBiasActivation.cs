namespace Engine;

public static partial class BackendContract
{
    /// <summary>
    /// <see cref="IBackend.ConvolutionForwardBiasActivation"/>: the operands of
    /// <see cref="IBackend.ConvolutionForward"/>, and a bias (when given) of one value per filter, of
    /// y's data type and not sharing memory with y; the activation is one of <see cref="Activation"/>.
    /// </summary>
    public static void ConvolutionBiasActivation(IBackend backend, ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor? bias, Tensor y, Activation? activation)
    {
        ConvolutionForward(backend, geometry, x, w, y);
        if (bias is not null)
        {
            AddChannelBias(backend, y, bias);
        }
        if (activation is { } f && !Enum.IsDefined(f))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), f, "ConvolutionForwardBiasActivation: not an activation");
        }
    }
}
