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
            _workspace, new ConvolutionEpilogue(Address(scale, op, "scale"), Address(shift, op, "shift"), activation, alpha), w.Storage as CpuStorage);
        GC.KeepAlive(x);
        GC.KeepAlive(w);
        GC.KeepAlive(y);
        GC.KeepAlive(scale);
        GC.KeepAlive(shift);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Runs where <see cref="ConvolutionPool"/> applies (float32, ReLU, 2×2 stride-2 max pooling, LeNet-size
    /// layers that the direct kernels take); elsewhere returns false.
    /// </remarks>
    public unsafe bool TryConvolutionForwardPooled(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Activation? activation, double alpha,
        PoolingGeometry pool, Tensor y)
    {
        const string op = "TryConvolutionForwardPooled";
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(pool);
        if (x.Shape.Rank != geometry.SpatialRank + 2 || w.Shape.Rank != geometry.SpatialRank + 2)
        {
            return false;
        }
        var layout = ConvolutionLayout.Create(geometry, x.Shape, w.Shape[0]);
        if (!ConvolutionPool.Applies(layout, x.DataType, activation, pool))
        {
            return false;
        }
        // The contract of the two calls it replaces, checked on the shapes the pooled output implies.
        Shape convolved = geometry.OutputShape(x.Shape.WithoutBatch(), w.Shape[0]);
        Shape expected = pool.Window.OutputShape(convolved, convolved[0]).WithBatch(x.Shape[0]);
        if (y.Shape != expected || y.DataType != x.DataType || w.DataType != x.DataType || scale.DataType != x.DataType || shift.DataType != x.DataType
            || scale.ElementCount != w.Shape[0] || shift.ElementCount != w.Shape[0] || w.Shape[1] * geometry.Groups != x.Shape[1])
        {
            throw new ArgumentException($"{op}: y {y.Shape} ({y.DataType}) does not fit x {x.Shape}, w {w.Shape}, scale/shift {scale.Shape}/{shift.Shape} pooled to {expected}");
        }
        ConvolutionPool.Forward(layout, (float*)Address(x, op, "x"), (float*)Address(w, op, "w"), (float*)Address(y, op, "y"),
            new ConvolutionEpilogue(Address(scale, op, "scale"), Address(shift, op, "shift"), activation, alpha));
        GC.KeepAlive(x);
        GC.KeepAlive(w);
        GC.KeepAlive(y);
        GC.KeepAlive(scale);
        GC.KeepAlive(shift);
        return true;
    }

    /// <summary>Whether <see cref="TryConvolutionForwardResidual"/> runs (null or true, the default) or always declines (false): <c>ENGINE_CONV_RESIDUAL=on|off</c>.</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both in one process.</remarks>
    internal static bool? ResidualForced { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_CONV_RESIDUAL"));

    /// <inheritdoc/>
    /// <remarks>
    /// The residual joins the epilogue of whichever kernel the convolution takes: in registers before the one
    /// store in <see cref="PaddedDirectConvolution"/>, else in the per-sample or whole-batch epilogue pass
    /// (<see cref="ChannelAffineKernels"/>). Declines (false) where the layer goes to a LeNet-size kernel with
    /// an epilogue of its own (<see cref="DirectConvolution"/>, <see cref="FilterVectorConvolution"/>), where
    /// the residual overlaps y, and with <c>ENGINE_CONV_RESIDUAL=off</c>.
    /// </remarks>
    public bool TryConvolutionForwardResidual(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Tensor residual,
        Activation? activation, double alpha, Tensor y)
    {
        const string op = "TryConvolutionForwardResidual";
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(residual);
        if (ResidualForced == false || x.Shape.Rank != geometry.SpatialRank + 2 || w.Shape.Rank != geometry.SpatialRank + 2)
        {
            return false;
        }
        BackendContract.ConvolutionForward(this, geometry, x, w, y);
        BackendContract.ChannelAffine(this, y, scale, shift, y, activation);
        if (residual.Shape != y.Shape || residual.DataType != y.DataType)
        {
            throw new ArgumentException($"{op}: the residual {residual.Shape} ({residual.DataType}) must have y's shape {y.Shape} ({y.DataType})");
        }
        var layout = ConvolutionLayout.Create(geometry, x.Shape, w.Shape[0]);
        nint r = Address(residual, op, "residual"), yAddress = Address(y, op, "y");
        long bytes = y.ElementCount * y.DataType.SizeInBytes();
        if (!ConvolutionKernels.ForwardTakesResidual(layout, x.DataType) || (r < yAddress + bytes && yAddress < r + bytes))
        {
            return false;
        }
        var epilogue = new ConvolutionEpilogue(Address(scale, op, "scale"), Address(shift, op, "shift"), activation, alpha).WithResidual(r, yAddress);
        ConvolutionKernels.Run(ConvolutionPass.Forward, locallyConnected: false, layout, x.DataType, Address(x, op, "x"), Address(w, op, "w"), yAddress,
            _workspace, epilogue, w.Storage as CpuStorage);
        GC.KeepAlive(x);
        GC.KeepAlive(w);
        GC.KeepAlive(y);
        GC.KeepAlive(scale);
        GC.KeepAlive(shift);
        GC.KeepAlive(residual);
        return true;
    }
}
