using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The nine stride-2 copies of a sample written input row by input row: each row read once and every copy's row made from
/// it, instead of copy by copy (each copy reading the whole sample again).
/// </summary>
/// <remarks>
/// <para>Why: copy by copy, a stride-2 sample is read nine times (a 16×32×32 sample is 64 KB, more than a 32 KB
/// first-level cache) by two masked loads and a permute per 16 outputs, and the copies took a quarter of ResNet-20's
/// 16×32×32 stride-2 layer (<c>Engine.Bench.Kernels --quick-padded</c>, "copies": 1.0–1.1 ms of 4.3). Row by row, with
/// padding 1, 16 outputs wholly inside the row take their three tap columns from two plain loads (tap column 1: the even
/// columns, 2: the odd ones, 0: the odd ones a lane on after the previous column) and are stored unmasked to the copies of
/// the tap rows that read the row (one for an even padded row, two for an odd one); other chunks (the row's ends, other
/// paddings) take the masked gathers. The same floats land in the same places: the same bits. Taken on stride-2 layers
/// with padding 1 and outputs at least 16 wide (<see cref="CopiesStridedRows"/>); on 8-wide outputs (ResNet-20's 32×16×16
/// → 64) every chunk is partial and the row order alone ran slower. <c>ENGINE_PADDED_ROW_COPY=on|off</c> (unset: that rule).</para>
/// </remarks>
internal static unsafe partial class PaddedDirectConvolution
{
    /// <summary>
    /// Whether the rule of <see cref="CopiesStridedRows"/> decides where stride-2 copies are written row by row (null), or they
    /// are on every stride-2 layer (true) or never (false); settable for tests and benchmarks.
    /// </summary>
    internal static bool? RowCopies { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_PADDED_ROW_COPY"));

    /// <summary>Whether a stride-2 sample's copies are written by <see cref="CopyStridedRows"/>: under the rule with padding 1 across and outputs at least 16 wide.</summary>
    internal static bool CopiesStridedRows(in ConvolutionLayout l) =>
        RowCopies != false && l.Height.Stride == 2 && (RowCopies == true || (l.Width.Pad == 1 && l.Width.Output >= 16));

    /// <summary><see cref="CopyStrided"/>'s nine copies, input row by input row.</summary>
    internal static void CopyStridedRows(in ConvolutionLayout l, float* x, float* copies, long shifted)
    {
        int height = l.Height.Input, width = l.Width.Input, outputHeight = l.Height.Output, outputWidth = l.Width.Output;
        int chunks = (outputWidth + 15) / 16, pad = l.Height.Pad;
        long plane = (long)outputHeight * outputWidth;
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), even = lane * 2;
        Vector512<int> inputWidth = Vector512.Create(width), odd = even + Vector512<int>.One;
        // Lane 0 from the first vector's lane 0, lane j from the second's lane j − 1 (16 + j − 1).
        Vector512<int> before = Vector512.Max(lane + Vector512.Create(15), Vector512.Create(0)) & ~Vector512.Equals(lane, Vector512<int>.Zero);
        bool whole = l.Width.Pad == 1;
        // Per (chunk of 16 output columns, tap column): the two load masks (input columns inside the row) and the store mask.
        Vector512<float>* masks = stackalloc Vector512<float>[chunks * 3 * 3];
        for (int k = 0; k < chunks; k++)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                Vector512<int> i0 = lane + Vector512.Create(32 * k + kx - l.Width.Pad), i1 = i0 + Vector512.Create(16);
                Vector512<float>* m = masks + (k * 3 + kx) * 3;
                m[0] = (Vector512.GreaterThanOrEqual(i0, Vector512<int>.Zero) & Vector512.LessThan(i0, inputWidth)).AsSingle();
                m[1] = (Vector512.GreaterThanOrEqual(i1, Vector512<int>.Zero) & Vector512.LessThan(i1, inputWidth)).AsSingle();
                m[2] = Mask(outputWidth - 16 * k);
            }
        }
        for (int c = 0; c < l.Channels; c++)
        {
            for (int iy = 0; iy < height; iy++)
            {
                // Tap row ky of output row oy reads input row 2·oy + ky − pad: ky ≡ iy + pad (mod 2).
                int first = -1, second = -1; // the tap rows reading this row (second: an odd padded row's other one)
                for (int ky = 0; ky < 3; ky++)
                {
                    int twice = iy + pad - ky;
                    if (twice >= 0 && (twice & 1) == 0 && twice / 2 < outputHeight)
                    {
                        if (first < 0)
                        {
                            first = ky;
                        }
                        else
                        {
                            second = ky;
                        }
                    }
                }
                if (first < 0)
                {
                    continue;
                }
                float* row = x + ((long)c * height + iy) * width;
                long at0 = c * plane + (long)((iy + pad - first) / 2) * outputWidth;
                long at1 = second < 0 ? 0 : c * plane + (long)((iy + pad - second) / 2) * outputWidth;
                for (int k = 0; k < chunks; k++)
                {
                    if (whole && 32 * k + 32 <= width)
                    {
                        // 16 outputs wholly inside the row with padding 1: tap column 1 the even, 2 the odd columns of two plain
                        // loads, and 0 the odd ones one lane on, after the previous chunk's last column (0 in the padding).
                        float* at = row + 32 * k;
                        Vector512<float> lower = Vector512.Load(at), upper = Vector512.Load(at + 16);
                        Vector512<float> middle = Avx512F.PermuteVar16x32x2(lower, even, upper), right = Avx512F.PermuteVar16x32x2(lower, odd, upper);
                        Vector512<float> left = Avx512F.PermuteVar16x32x2(k == 0 ? Vector512<float>.Zero : Vector512.Create(at[-1]), before, right);
                        float* d = copies + first * 3 * shifted + at0 + 16 * k;
                        left.Store(d);
                        middle.Store(d + shifted);
                        right.Store(d + 2 * shifted);
                        if (second >= 0)
                        {
                            d = copies + second * 3 * shifted + at1 + 16 * k;
                            left.Store(d);
                            middle.Store(d + shifted);
                            right.Store(d + 2 * shifted);
                        }
                        continue;
                    }
                    for (int kx = 0; kx < 3; kx++)
                    {
                        Vector512<float>* m = masks + (k * 3 + kx) * 3;
                        float* src = row + 32 * k + kx - l.Width.Pad;
                        Vector512<float> lower = Avx512F.MaskLoad(src, m[0], Vector512<float>.Zero), upper = Avx512F.MaskLoad(src + 16, m[1], Vector512<float>.Zero);
                        Vector512<float> v = Avx512F.PermuteVar16x32x2(lower, even, upper);
                        Avx512F.MaskStore(copies + (first * 3 + kx) * shifted + at0 + 16 * k, m[2], v);
                        if (second >= 0)
                        {
                            Avx512F.MaskStore(copies + (second * 3 + kx) * shifted + at1 + 16 * k, m[2], v);
                        }
                    }
                }
            }
        }
    }
}
