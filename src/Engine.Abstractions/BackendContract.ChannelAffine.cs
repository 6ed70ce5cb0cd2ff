namespace Engine;

public static partial class BackendContract
{
    /// <summary>
    /// <see cref="IBackend.ChannelAffine"/>: x (N×C×…, at least two dimensions), scale and shift (C
    /// elements each) and y (x's element count) are floating-point operands of one data type; y may be x
    /// but must share memory with neither scale nor shift (y is written while they are still read); the
    /// activation, when given, is one of <see cref="Activation"/>.
    /// </summary>
    /// <returns>N, C and S of x.</returns>
    public static (int Batch, int Channels, int Spatial) ChannelAffine(IBackend backend, Tensor x, Tensor scale, Tensor shift, Tensor y, Activation? activation)
    {
        const string op = "ChannelAffine";
        Operand(backend, op, "x", x);
        Operand(backend, op, "scale", scale);
        Operand(backend, op, "shift", shift);
        Operand(backend, op, "y", y);
        Written(y);
        SameType(op, "x", x, "y", y);
        SameCount(op, "x", x, "y", y);
        var layout = Channels(op, "x", x);
        ChannelVector(op, x, layout.Channels, "scale", scale);
        ChannelVector(op, x, layout.Channels, "shift", shift);
        NotShared(op, "scale", scale, "y", y);
        NotShared(op, "shift", shift, "y", y);
        if (activation is { } f && !Enum.IsDefined(f))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), f, $"{op}: unknown activation");
        }
        return layout;
    }
}
