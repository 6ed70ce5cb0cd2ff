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
}
