using Engine.Backend.Cudnn.Kernels;

namespace Engine.Backend.Cudnn;

/// <summary>
/// Pooling: the shim's kernels (kernels/pooling.cu), with the CPU backend's conventions (see
/// <see cref="BackendContract.PoolingForward"/>): padding never joins a max, the first maximum in
/// scan order takes the gradient (a NaN wins), average divides by the window or by its real taps.
/// Backward is a gather (one thread per input element), so it needs no atomics and is deterministic.
/// </summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.PoolingForward(this, geometry, x, y);
        Span<KernelArg> args = stackalloc KernelArg[PoolSizeArgs + 3];
        args[0] = y.ElementCount;
        args[1] = Ptr(x);
        args[2] = Ptr(y);
        PoolSizes(geometry, x, y, args[3..]);
        _kernels.Launch("pooling", "pool_forward", x.DataType, y.ElementCount, args);
    }

    /// <inheritdoc/>
    /// <remarks>The arg-max is found again from x, as on the CPU, so y is only checked for its shape.</remarks>
    public void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        ThrowIfDisposed();
        BackendContract.PoolingBackward(this, geometry, x, y, dy, dx);
        Span<KernelArg> args = stackalloc KernelArg[PoolSizeArgs + 4];
        args[0] = dx.ElementCount;
        args[1] = Ptr(x);
        args[2] = Ptr(dy);
        args[3] = Ptr(dx);
        PoolSizes(geometry, x, y, args[4..]);
        _kernels.Launch("pooling", "pool_backward", x.DataType, dx.ElementCount, args);
    }

    /// <summary>The arguments of POOL_PARAMS in pooling.cu: 6 × 3 sizes and two flags.</summary>
    private const int PoolSizeArgs = 20;

    /// <summary>
    /// Writes POOL_PARAMS (input, output, window, stride, padding before, dilation as depth, height,
    /// width; then max and count-include-pad) with the problem seen as 3-D planes: missing leading
    /// axes have size 1, window 1, stride 1, as the CPU's PoolPlan. Padding after only shapes y.
    /// </summary>
    private static void PoolSizes(PoolingGeometry geometry, Tensor x, Tensor y, Span<KernelArg> args)
    {
        ConvolutionGeometry g = geometry.Window;
        int rank = g.SpatialRank;
        Span<int> sizes = stackalloc int[18];
        sizes.Fill(1);
        sizes.Slice(12, 3).Clear();
        for (int axis = 0; axis < rank; axis++)
        {
            int at = 3 - rank + axis;
            sizes[at] = x.Shape[axis + 2];
            sizes[3 + at] = y.Shape[axis + 2];
            sizes[6 + at] = g.Kernel[axis];
            sizes[9 + at] = g.Stride[axis];
            sizes[12 + at] = g.PadBefore[axis];
            sizes[15 + at] = g.Dilation[axis];
        }
        for (int i = 0; i < sizes.Length; i++)
        {
            args[i] = sizes[i];
        }
        args[18] = geometry.Mode == PoolingMode.Max ? 1 : 0;
        args[19] = geometry.CountIncludePad ? 1 : 0;
    }
}
