using Engine.Backend.Cudnn.Kernels;

namespace Engine.Backend.Cudnn;

/// <summary>
/// Locally connected layers (2 spatial axes, unshared filters): the shim's kernels
/// (kernels/locally_connected.cu) with the CPU's layouts, w being P×K×(C·kh·kw). One thread per
/// written element, sums in double; backward data gathers instead of scattering.
/// </summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.LocallyConnectedForward(this, geometry, x, w, y);
        LocallyConnected("lc_forward", geometry, x.Shape, w.Shape[1], y.Shape, Ptr(x), Ptr(w), Ptr(y), y);
    }

    /// <inheritdoc/>
    public void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx)
    {
        ThrowIfDisposed();
        BackendContract.LocallyConnectedBackwardData(this, geometry, dy, w, dx);
        LocallyConnected("lc_backward_data", geometry, dx.Shape, w.Shape[1], dy.Shape, Ptr(dy), Ptr(w), Ptr(dx), dx);
    }

    /// <inheritdoc/>
    public void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw)
    {
        ThrowIfDisposed();
        BackendContract.LocallyConnectedBackwardFilter(this, geometry, x, dy, dw);
        LocallyConnected("lc_backward_filter", geometry, x.Shape, dw.Shape[1], dy.Shape, Ptr(x), Ptr(dy), Ptr(dw), dw);
    }

    /// <summary>
    /// One pass: three operands in the kernel's order (the last one written, one thread per element),
    /// then LC_PARAMS: N, C, K, input h and w, output h and w, window, stride, padding before, dilation.
    /// </summary>
    private void LocallyConnected(string kernel, ConvolutionGeometry g, Shape input, int filters, Shape output,
        DevicePointer a, DevicePointer b, DevicePointer written, Tensor writtenTensor)
    {
        long n = writtenTensor.ElementCount;
        _kernels.Launch("locally_connected", kernel, writtenTensor.DataType, n, n, a, b, written,
            input[0], input[1], filters, input[2], input[3], output[2], output[3],
            g.Kernel[0], g.Kernel[1], g.Stride[0], g.Stride[1], g.PadBefore[0], g.PadBefore[1], g.Dilation[0], g.Dilation[1]);
    }
}
