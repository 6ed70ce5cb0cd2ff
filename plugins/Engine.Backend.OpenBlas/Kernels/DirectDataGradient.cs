namespace Engine.Backend.OpenBlas;

/// <summary>
/// Direct backward data for float32 stride-1 layers with narrow rows (LeNet-5's conv2, 6→16 at 5×5
/// on 14 px), without GEMM + col2im: each input pixel gathers from dy and the filters. At stride 1
/// that gather is itself a convolution: dx = dy ⋆ w′ with the roles of channels and filters swapped,
/// w′[c][f] = w[f][c] flipped along every axis, padding dilation·(kernel − 1) − pad. So the pass runs on
/// the direct forward kernel (<see cref="DirectConvolution"/>) with that transposed layout.
/// </summary>
/// <remarks>
/// Each dx element is one FMA chain over (filter, window) in order, where col2im added the taps'
/// partial sums in tap order: results differ from the column path by rounding only, and are the
/// same run to run at any thread count (samples are independent items). Taken where the own kernels
/// run at 512 bits, like the forward kernel.
/// </remarks>
internal static unsafe class DirectDataGradient
{
    /// <summary>
    /// The fewest input channels: they are the transposed layout's filters, and the forward kernel
    /// computes a block of 6 or 8 filters at a time (LeNet conv1's single channel wasted 5/6 of its FMAs
    /// and ran 2× slower than the column path).
    /// </summary>
    private const int MinChannels = 4;

    /// <summary>The most taps of the transposed layout (LeNet conv2: 16 × 25 = 400).</summary>
    private const int MaxTaps = 512;

    /// <summary>The most (output row, tap) pairs the transposed forward lists on the stack (LeNet conv2: 14 × 400).</summary>
    private const int MaxListed = 8192;

    /// <summary>
    /// Off: the column path runs instead (tests' reference, benchmarks' before/after in one process);
    /// <c>ENGINE_DIRECT_BACKWARD=off</c> starts it off, to time a whole training run both ways.
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_DIRECT_BACKWARD") != "off";

    /// <summary>Whether the backward data pass of <paramref name="l"/> runs here.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        Enabled && l.Groups == 1 && l.Channels >= MinChannels && l.Depth.Stride == 1 && l.Height.Stride == 1 && l.Width.Stride == 1
        && Reaches(l.Depth) && Reaches(l.Height) && Reaches(l.Width)
        && DirectConvolution.Fits<T>(Transposed(l), MaxTaps, MaxListed);

    /// <summary>Padding no wider than the window's reach, so the transposed padding is not negative.</summary>
    private static bool Reaches(ConvolutionAxis a) => a.Pad <= a.Dilation * (a.Kernel - 1);

    /// <summary>The forward layout that computes dx of <paramref name="l"/> (one group): dy as input, dx as output.</summary>
    internal static ConvolutionLayout Transposed(in ConvolutionLayout l) =>
        new(l.Batch, l.Filters, l.Channels, 1, Flip(l.Depth), Flip(l.Height), Flip(l.Width));

    private static ConvolutionAxis Flip(ConvolutionAxis a) => new(a.Output, a.Input, a.Kernel, 1, a.Dilation * (a.Kernel - 1) - a.Pad, a.Dilation);

    /// <summary>dx ← dy ⋆ w′ for the whole batch (dx is overwritten).</summary>
    public static void Run(in ConvolutionLayout l, float* dy, float* w, float* dx)
    {
        int volume = l.KernelVolume, rows = l.ColumnRows;
        float* flipped = stackalloc float[l.Channels * l.Filters * volume];
        for (int f = 0; f < l.Filters; f++)
        {
            for (int c = 0; c < l.Channels; c++)
            {
                float* from = w + (long)f * rows + c * volume, to = flipped + ((long)c * l.Filters + f) * volume;
                for (int t = 0; t < volume; t++)
                {
                    to[t] = from[volume - 1 - t];
                }
            }
        }
        DirectConvolution.Forward(Transposed(l), dy, flipped, dx);
    }
}
