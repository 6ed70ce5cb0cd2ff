using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Stride-1 layers whose rows are whole vectors (16- and 32-wide planes, padding 1): one zero-padded copy of the sample
/// instead of three column-shifted ones.
/// </summary>
/// <remarks>
/// <para>Why: with rows of whole vectors no vector of 16 outputs spans two rows, so the taps of a vector are 16 consecutive
/// floats of one padded row, at column offsets −1, 0, +1: one copy read at those (unaligned) offsets serves all three tap
/// columns. Each padded row is <see cref="OneCopyRowStride"/> = width + 16 floats: the row's inputs from a 64-byte boundary,
/// then 16 zeros that are the row's right padding and the next row's left one. The copy writes a third of the floats
/// (aligned, whole vectors), and a tile's input rows take a third of the first-level cache (ResNet-20's 16×32×32 layer:
/// 24 KB of rows + 9 KB of weights for four filter groups in a 32 KB cache before). Instrumented runs (benchmarks/NOTES.md,
/// helper <c>conv16</c>) put the three copies at ~1 ms of the 6.7 ms of that layer and cache misses at another ~0.4 ms;
/// with one copy that layer ran 4–11 % faster (<c>Engine.Bench.Kernels --quick-padded</c>, column 3copies against rule).</para>
/// <para>Each tap reads the same value as before into the same chain: the same bits (PaddedDirectConvolutionTests).
/// <c>ENGINE_PADDED_ONE_COPY=on|off</c> (unset: on wherever it applies).</para>
/// </remarks>
internal static unsafe partial class PaddedDirectConvolution
{
    /// <summary>Whether one padded copy is used where it applies (null or true) or never (false); settable for tests and benchmarks.</summary>
    internal static bool? OneCopy { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_PADDED_ONE_COPY"));

    /// <summary>Zeros before the first channel's plane: tap (0, 0) of position 0 reads one float before it.</summary>
    private const int OneCopyLead = 16;

    /// <summary>Whether <paramref name="l"/> takes one padded copy: stride 1, padding 1 on both axes, the output as wide as the input and a whole number of vectors wide.</summary>
    internal static bool UsesOneCopy(in ConvolutionLayout l) =>
        OneCopy != false && l.Height.Stride == 1 && l.Height.Pad == 1 && l.Width.Pad == 1
        && l.Width.Output == l.Width.Input && l.Height.Output == l.Height.Input && l.Width.Output % 16 == 0;

    /// <summary>Floats per padded row of the one copy: the row and 16 zeros.</summary>
    internal static int OneCopyRowStride(in ConvolutionLayout l) => l.Width.Input + 16;

    /// <summary>Floats per channel of the one copy: the padded rows (one of zeros above and below).</summary>
    internal static long OneCopyPlane(in ConvolutionLayout l) => (long)(l.Height.Input + 2) * OneCopyRowStride(l);

    /// <summary>Floats of a sample's one copy: the lead and every channel's plane.</summary>
    internal static long OneCopyFloats(in ConvolutionLayout l) => OneCopyLead + l.Channels * OneCopyPlane(l);

    /// <summary>Where column-matrix row (c, ky, kx) of output position 0 reads in the one copy.</summary>
    private static int OneCopyRowOffset(in ConvolutionLayout l, int c, int ky, int kx) =>
        checked((int)(OneCopyLead + c * OneCopyPlane(l) + ky * OneCopyRowStride(l) + kx - 1));

    /// <summary>The sample's rows into the one copy, whole aligned vectors; the zeros around them were written once per call.</summary>
    private static void CopyOne(in ConvolutionLayout l, float* x, float* copy)
    {
        int height = l.Height.Input, width = l.Width.Input, stride = OneCopyRowStride(l);
        long plane = OneCopyPlane(l);
        for (int c = 0; c < l.Channels; c++)
        {
            float* src = x + (long)c * height * width, dst = copy + OneCopyLead + c * plane + stride;
            for (int r = 0; r < height; r++, src += width, dst += stride)
            {
                for (int i = 0; i < width; i += 16)
                {
                    Vector512.Load(src + i).Store(dst + i);
                }
            }
        }
    }
}
