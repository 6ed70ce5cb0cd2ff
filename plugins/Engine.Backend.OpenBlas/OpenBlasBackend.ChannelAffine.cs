namespace Engine.Backend.OpenBlas;

public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    /// <remarks>One pass over x (<see cref="ChannelAffineKernels"/>), where the default implementation makes three.</remarks>
    public void ChannelAffine(Tensor x, Tensor scale, Tensor shift, Tensor y, Activation? activation = null, double alpha = 0)
    {
        const string op = "ChannelAffine";
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.ChannelAffine(this, x, scale, shift, y, activation);
        ChannelAffineKernels.Run(x.DataType, Address(x, op, "x"), Address(scale, op, "scale"), Address(shift, op, "shift"), Address(y, op, "y"),
            batch, channels, spatial, activation, alpha);
        GC.KeepAlive(x);
        GC.KeepAlive(scale);
        GC.KeepAlive(shift);
        GC.KeepAlive(y);
    }

    /// <inheritdoc/>
    /// <remarks>The epilogue runs inside the convolution, on each sample's output right after it is computed (<see cref="ConvolutionEpilogue"/>).</remarks>
    public void ConvolutionForwardWithEpilogue(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y, Tensor scale, Tensor shift, Activation? activation = null, double alpha = 0)
    {
        const string op = "ConvolutionForwardWithEpilogue";
        ThrowIfDisposed();
        BackendContract.ConvolutionForward(this, geometry, x, w, y);
        BackendContract.ChannelAffine(this, y, scale, shift, y, activation);
        var layout = ConvolutionLayout.Create(geometry, x.Shape, w.Shape[0]);
        ConvolutionKernels.Run(ConvolutionPass.Forward, locallyConnected: false, layout, x.DataType, Address(x, op, "x"), Address(w, op, "w"), Address(y, op, "y"),
            _workspace, new ConvolutionEpilogue(Address(scale, op, "scale"), Address(shift, op, "shift"), activation, alpha));
        GC.KeepAlive(x);
        GC.KeepAlive(w);
        GC.KeepAlive(y);
        GC.KeepAlive(scale);
        GC.KeepAlive(shift);
    }
}
