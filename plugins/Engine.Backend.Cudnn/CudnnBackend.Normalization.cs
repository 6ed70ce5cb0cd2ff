namespace Engine.Backend.Cudnn;

/// <summary>
/// Batch normalisation and LRN: the shim's kernels (kernels/normalization.cu) with the CPU's
/// formulas. Batch norm runs one block per channel whose threads sum in double and combine in a
/// fixed tree, so statistics are deterministic; LRN is one thread per element.
/// </summary>
public sealed partial class CudnnBackend
{
    /// <summary>Threads per batch-norm block: BN_THREADS in normalization.cu (a power of two).</summary>
    private const uint BatchNormThreads = 256;

    /// <inheritdoc/>
    public void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training)
    {
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.BatchNormForward(this, x, gamma, beta, runningMean, runningVariance,
            savedMean, savedInvStd, y, epsilon, momentum, training);
        if (channels == 0)
        {
            return;
        }
        _kernels.LaunchBlocks("normalization", "bn_forward", x.DataType, (uint)channels, BatchNormThreads, 0, batch, channels, spatial,
            Ptr(x), Ptr(gamma), Ptr(beta), Ptr(runningMean), Ptr(runningVariance), Ptr(savedMean), Ptr(savedInvStd), Ptr(y),
            epsilon, momentum, training ? 1 : 0);
    }

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta)
    {
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.BatchNormBackward(this, x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);
        if (channels == 0)
        {
            return;
        }
        _kernels.LaunchBlocks("normalization", "bn_backward", x.DataType, (uint)channels, BatchNormThreads, 0, batch, channels, spatial,
            Ptr(x), Ptr(dy), Ptr(gamma), Ptr(savedMean), Ptr(savedInvStd), Ptr(dx), Ptr(dGamma), Ptr(dBeta));
    }

    /// <inheritdoc/>
    public void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale)
    {
        ThrowIfDisposed();
        (_, int channels, int spatial) = BackendContract.LrnForward(this, parameters, x, y, scale);
        long n = x.ElementCount;
        _kernels.Launch("normalization", "lrn_forward", x.DataType, n, n, channels, spatial, parameters.Size,
            parameters.Alpha / parameters.Size, parameters.K, -parameters.Beta, Ptr(x), Ptr(y), Ptr(scale));
    }

    /// <inheritdoc/>
    public void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx)
    {
        ThrowIfDisposed();
        (_, int channels, int spatial) = BackendContract.LrnBackward(this, parameters, x, y, scale, dy, dx);
        long n = x.ElementCount;
        _kernels.Launch("normalization", "lrn_backward", x.DataType, n, n, channels, spatial, parameters.Size,
            -parameters.Beta, -2 * parameters.Alpha * parameters.Beta / parameters.Size, Ptr(x), Ptr(y), Ptr(scale), Ptr(dy), Ptr(dx));
    }
}
