namespace Engine.Backend.Cudnn;

/// <summary>
/// The ops that let a training step report without a host read: kernels/metrics.cu. Counts are
/// whole numbers in double (exact, so the order of addition cannot change them); the sum of squares
/// is one block's fixed tree; clipping reads the sum of squares on the device.
/// </summary>
public sealed partial class CudnnBackend
{
    private const string MetricsModule = "metrics";

    /// <inheritdoc/>
    public void OneHot(Tensor labels, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.OneHot(this, labels, y);
        int k = y.Shape[1];
        _kernels.Launch(MetricsModule, "one_hot", y.DataType, y.ElementCount, y.ElementCount, k, Ptr(labels), Ptr(y));
    }

    /// <inheritdoc/>
    public void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator)
    {
        ThrowIfDisposed();
        BackendContract.AccumulateLoss(this, value, weight, step, accumulator);
        if (StepValues("AccumulateLoss", step) is { } stepOnDevice)
        {
            if (!Updating)
            {
                _kernels.Launch(MetricsModule, "accumulate_loss_dev", value.DataType, 1, Ptr(value), weight, stepOnDevice, Ptr(accumulator));
            }
            return;
        }
        _kernels.Launch(MetricsModule, "accumulate_loss", value.DataType, 1, Ptr(value), weight, step, Ptr(accumulator));
    }

    /// <inheritdoc/>
    public void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts)
    {
        ThrowIfDisposed();
        BackendContract.AccumulateTopK(this, logits, labels, counts);
        if (Updating)
        {
            return; // recorded with constant arguments: the graph runs it
        }
        int n = logits.Shape[0], k = logits.Shape[1];
        if (n == 0)
        {
            return;
        }
        // Each row's rank in parallel, then one thread per top-k entry counts the rows within it.
        using Tensor ranks = Allocate(new Shape(n), DataType.Int32);
        _kernels.Launch(MetricsModule, "topk_rank", logits.DataType, n, n, k, Ptr(logits), Ptr(labels), Ptr(ranks));
        int ks = (int)counts.ElementCount;
        _kernels.Launch(MetricsModule, "topk_count", null, ks, ks, n, Ptr(ranks), Ptr(counts));
    }

    /// <inheritdoc/>
    public void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix)
    {
        ThrowIfDisposed();
        BackendContract.AccumulateConfusion(this, logits, labels, matrix);
        int n = logits.Shape[0], k = logits.Shape[1];
        _kernels.Launch(MetricsModule, "confusion", logits.DataType, n == 0 ? 0 : k, n, k, Ptr(logits), Ptr(labels), Ptr(matrix));
    }

    /// <inheritdoc/>
    public void SumOfSquares(Tensor x, Tensor accumulator, double beta)
    {
        ThrowIfDisposed();
        BackendContract.SumOfSquares(this, x, accumulator, beta);
        _kernels.LaunchBlocks(MetricsModule, "sum_of_squares", x.DataType, 1, ReductionThreads, 0, x.ElementCount, Ptr(x), Ptr(accumulator), beta);
    }

    /// <inheritdoc/>
    public void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x)
    {
        ThrowIfDisposed();
        BackendContract.ClipToNorm(this, sumOfSquares, maxNorm, x);
        _kernels.Launch(MetricsModule, "clip_to_norm", x.DataType, x.ElementCount, x.ElementCount, Ptr(sumOfSquares), maxNorm, Ptr(x));
    }
}
