namespace Engine.Backend.OpenBlas;

// PENDING (issue 3, convolution helper): replaced by the im2col/vol2col + sgemm implementation.
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => throw Pending();

    /// <inheritdoc/>
    public void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => throw Pending();

    /// <inheritdoc/>
    public void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => throw Pending();

    /// <inheritdoc/>
    public void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) => throw Pending();

    /// <inheritdoc/>
    public void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) => throw Pending();

    /// <inheritdoc/>
    public void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) => throw Pending();

    private static NotSupportedException Pending([System.Runtime.CompilerServices.CallerMemberName] string op = "") => new($"{op} is not implemented yet");
}
