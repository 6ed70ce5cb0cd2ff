namespace Engine.Backend.OpenBlas;

internal static unsafe partial class DirectConvolution
{
    /// <summary>
    /// One sample of the pooled forward pass (<see cref="ConvolutionPool"/>): each pair of output rows
    /// of every filter is computed by the same row kernels as <see cref="Sample"/> (the epilogue applied
    /// in registers) into a band of two rows per filter on the stack, at most 8 KB, still in L1 when
    /// the 2×2 windows are taken from it; only the pooled rows reach y.
    /// </summary>
    private static void SamplePooled(ref Job job, int n)
    {
        ref readonly ConvolutionLayout l = ref job.Layout;
        int width = l.Width.Output, rows = l.Height.Output, pooledWidth = width / 2, pooledPlane = rows / 2 * pooledWidth;
        float* x = job.X + (long)n * l.Channels * l.InputSize, y = job.Y + (long)n * l.Filters * pooledPlane;
        // band[f][row of the pair][width]: the row kernels store filter k at k·stride, rows ≤ 32 wide.
        int stride = 2 * width;
        float* band = stackalloc float[l.Filters * stride];
        for (int r = 0; r < rows; r += 2)
        {
            if (job.PairDelta[r] != 0)
            {
                PairedRows(ref job, r, x, band, stride);
            }
            else
            {
                OneRow(ref job, r, x, band, stride);
                OneRow(ref job, r + 1, x, band + width, stride);
            }
            ConvolutionPool.PoolBand(band, l.Filters, width, stride, y + r / 2 * pooledWidth, pooledPlane, job.Store0, job.Store1);
        }
    }
}
