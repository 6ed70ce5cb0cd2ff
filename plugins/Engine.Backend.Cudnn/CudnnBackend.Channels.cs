namespace Engine.Backend.Cudnn;

/// <summary>
/// Per-channel bias, sums and scaling, channel-range copies, the total sum and row-wise softmax:
/// kernels/channels.cu. Sums over positions accumulate in double in a fixed order (a block tree of
/// <see cref="ReductionThreads"/> threads), so results do not depend on thread timing.
/// </summary>
public sealed partial class CudnnBackend
{
    private const string ChannelsModule = "channels";

    /// <summary>Threads per block of the block reductions (CH_THREADS in channels.cu, MT_THREADS in metrics.cu).</summary>
    private const uint ReductionThreads = 256;

    /// <summary>Most blocks of a block-per-channel launch (the kernel loops over the rest).</summary>
    private const int MaxReductionBlocks = 65535;

    /// <inheritdoc/>
    public void AddChannelBias(Tensor y, Tensor bias)
    {
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.AddChannelBias(this, y, bias);
        long n = (long)batch * channels * spatial;
        _kernels.Launch(ChannelsModule, "add_channel_bias", y.DataType, n, n, Ptr(y), Ptr(bias), channels, (long)spatial);
    }

    /// <inheritdoc/>
    public void SumChannels(Tensor x, Tensor sums, double beta = 0)
    {
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.SumChannels(this, x, sums, beta);
        if (spatial == 1)
        {
            // N×C: one thread per channel adds the rows in order in the element type, as the CPU does.
            _kernels.Launch(ChannelsModule, "sum_channels_rows", x.DataType, channels, batch, channels, Ptr(x), Ptr(sums), beta);
            return;
        }
        _kernels.LaunchBlocks(ChannelsModule, "sum_channels_planes", x.DataType, (uint)Math.Min(channels, MaxReductionBlocks), ReductionThreads, 0,
            batch, channels, (long)spatial, Ptr(x), Ptr(sums), beta);
    }

    /// <inheritdoc/>
    /// <remarks>Accumulates in double for both data types (one block, a fixed reduction order).</remarks>
    public void Sum(Tensor x, Tensor result)
    {
        ThrowIfDisposed();
        BackendContract.Sum(this, x, result);
        _kernels.LaunchBlocks(ChannelsModule, "sum", x.DataType, 1, ReductionThreads, 0, x.ElementCount, Ptr(x), Ptr(result));
    }

    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor y, bool log = false)
    {
        ThrowIfDisposed();
        (int rows, int columns) = BackendContract.Softmax(this, x, y, log);
        _kernels.Launch(ChannelsModule, "softmax", x.DataType, columns == 0 ? 0 : rows, rows, columns, Ptr(x), Ptr(y), log ? 1 : 0);
    }

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false)
    {
        ThrowIfDisposed();
        (int rows, int columns) = BackendContract.SoftmaxBackward(this, y, dy, dx, log);
        _kernels.Launch(ChannelsModule, "softmax_backward", y.DataType, columns == 0 ? 0 : rows, rows, columns, Ptr(y), Ptr(dy), Ptr(dx), log ? 1 : 0);
    }

    /// <inheritdoc/>
    /// <remarks>Ranges of one tensor go through a temporary (the copy kernel has no order, so overlap would race).</remarks>
    public void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels)
    {
        ThrowIfDisposed();
        (int batch, int sourceChannels, int destinationChannels, int spatial) =
            BackendContract.CopyChannels(this, source, sourceOffset, destination, destinationOffset, channels);
        long n = (long)batch * channels * spatial;
        if (n == 0)
        {
            return;
        }
        if (Ptr(source) != Ptr(destination))
        {
            CopyChannelRange(source, sourceChannels, sourceOffset, destination, destinationChannels, destinationOffset, channels, spatial, n);
            return;
        }
        if (sourceOffset == destinationOffset && sourceChannels == destinationChannels)
        {
            return; // the range onto itself
        }
        using Tensor staged = Allocate(new Shape(batch, channels, spatial), source.DataType);
        CopyChannelRange(source, sourceChannels, sourceOffset, staged, channels, 0, channels, spatial, n);
        CopyChannelRange(staged, channels, 0, destination, destinationChannels, destinationOffset, channels, spatial, n);
    }

    private void CopyChannelRange(Tensor source, int sourceChannels, int sourceOffset, Tensor destination, int destinationChannels,
        int destinationOffset, int channels, int spatial, long n) =>
        _kernels.Launch(ChannelsModule, "copy_channels", source.DataType, n, n, Ptr(source), sourceChannels, sourceOffset,
            Ptr(destination), destinationChannels, destinationOffset, channels, (long)spatial);

    /// <inheritdoc/>
    public void ScaleChannels(Tensor x, Tensor scale, Tensor y)
    {
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.ScaleChannels(this, x, scale, y);
        long n = (long)batch * channels * spatial;
        _kernels.Launch(ChannelsModule, "scale_channels", x.DataType, n, n, Ptr(x), Ptr(scale), Ptr(y), channels, (long)spatial);
    }
}
