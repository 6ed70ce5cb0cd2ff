using Engine.Backend.Cudnn.Kernels;

namespace Engine.Backend.Cudnn;

/// <summary>
/// Element-wise ops: kernels/elementwise.cu, one thread per element. Ops and activations are passed
/// to the kernel as their enum values; real scalars as double (the kernel rounds them to the element type).
/// </summary>
public sealed partial class CudnnBackend
{
    private const string ElementwiseModule = "elementwise";

    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.Unary(this, op, x, y);
        _kernels.Launch(ElementwiseModule, "unary", x.DataType, x.ElementCount, x.ElementCount, (int)op, Ptr(x), Ptr(y));
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.Binary(this, op, a, b, y);
        _kernels.Launch(ElementwiseModule, "binary", a.DataType, a.ElementCount, a.ElementCount, (int)op, Ptr(a), Ptr(b), Ptr(y));
    }

    /// <inheritdoc/>
    /// <remarks>With β = 0 the old contents of y are ignored (NaNs included), as in GEMM; x may be y.</remarks>
    public void Axpby(double alpha, Tensor x, double beta, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.Axpby(this, alpha, x, beta, y);
        DevicePointer xs = Ptr(x), ys = Ptr(y);
        // Tensors of one backend alias only as the same block, so equal addresses are the one case.
        _kernels.Launch(ElementwiseModule, "axpby", x.DataType, x.ElementCount, x.ElementCount, alpha, xs, beta, ys, xs == ys ? 1 : 0);
    }

    /// <inheritdoc/>
    public void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0)
    {
        ThrowIfDisposed();
        BackendContract.ActivationForward(this, activation, x, y, alpha);
        _kernels.Launch(ElementwiseModule, "activation_forward", x.DataType, x.ElementCount, x.ElementCount, (int)activation, Ptr(x), Ptr(y), alpha);
    }

    /// <inheritdoc/>
    public void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0)
    {
        ThrowIfDisposed();
        BackendContract.ActivationBackward(this, activation, x, y, dy, dx, alpha);
        _kernels.Launch(ElementwiseModule, "activation_backward", x.DataType, x.ElementCount, x.ElementCount, (int)activation,
            Ptr(x), Ptr(y), Ptr(dy), Ptr(dx), alpha);
    }
}
