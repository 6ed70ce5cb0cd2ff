using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The stride-2 copies of a sample as six instead of nine, written input row by input row: each row read once and
/// every copy's row made from it, instead of copy by copy (each copy reading the whole sample again).
/// </summary>
/// <remarks>
/// <para>Why: tap rows 0 and 2 of a stride-2 output row read padded rows 2·oy and 2·oy + 2, so tap row 2 of output
/// row oy is tap row 0 of row oy + 1: one copy per tap column for the even padded rows (one row longer than the output)
/// serves both, read one output row further on for tap row 2, and one for the odd rows serves tap row 1 — six copies,
/// two thirds of the nine's stores and of a tile's rows of them. Copy by copy, the nine copies read the sample nine
/// times (a 16×32×32 sample is 64 KB, more than a 32 KB first-level cache) by two masked loads and a permute per 16
/// outputs, and took a quarter of ResNet-20's 16×32×32 stride-2 layer (<c>Engine.Bench.Kernels --quick-padded</c>,
/// "copies": 1.0–1.1 ms of 4.3); row by row each input row goes to exactly one copy per tap column, and with padding 1
/// 16 outputs wholly inside the row take their three tap columns from two plain loads (tap column 1: the even columns,
/// 2: the odd ones, 0: the odd ones a lane on after the previous column) stored unmasked; other chunks (the row's ends,
/// other paddings) take the masked gathers. The copies fell to 0.3 ms and the layer by 6–15 % (to 3.4–4.1 ms). Each tap still reads
/// the same value into the same chain: the same bits. Taken on stride-2 layers with padding 1 across and outputs at
/// least 8 wide (<see cref="CopiesStridedRows"/>). <c>ENGINE_PADDED_ROW_COPY=on|off</c> (unset: that rule).</para>
/// </remarks>
internal static unsafe partial class PaddedDirectConvolution
{
    /// <summary>
    /// Whether the rule of <see cref="CopiesStridedRows"/> decides where stride-2 copies are written row by row (null), or they
    /// are on every stride-2 layer (true) or never (false); settable for tests and benchmarks.
    /// </summary>
    internal static bool? RowCopies { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_PADDED_ROW_COPY"));

    /// <summary>
    /// Whether a stride-2 sample's copies are the six of <see cref="CopyStridedRows"/>: under the rule with padding 1 across and
    /// outputs at least 8 wide (ResNet-20's 16×16 and 8×8 outputs; narrower ones were not measured).
    /// </summary>
    internal static bool CopiesStridedRows(in ConvolutionLayout l) =>
        RowCopies != false && l.Height.Stride == 2 && (RowCopies == true || (l.Width.Pad == 1 && l.Width.Output >= 8));

    /// <summary>
    /// The six stride-2 copies, input row by input row: copy (0, kx) holds per channel <paramref name="copyRows"/> = output
    /// height + 1 rows, row j being the inputs x[2·j − p, 2·ox + kx − p] (tap row 0 of output row j, tap row 2 of output
    /// row j − 1), copy (1, kx) the output height's rows x[2·j + 1 − p, …] (tap row 1); rows and lanes in the padding stay zero.
    /// </summary>
    internal static void CopyStridedRows(in ConvolutionLayout l, float* x, float* copies, long shifted, int copyRows)
    {
        int height = l.Height.Input, width = l.Width.Input, outputHeight = l.Height.Output, outputWidth = l.Width.Output;
        int chunks = (outputWidth + 15) / 16, pad = l.Height.Pad;
        long plane = (long)copyRows * outputWidth;
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
                // Padded row iy + p: an even one is row (iy + p) / 2 of copies (0, ·) (tap rows 0 and 2), an odd one row
                // (iy + p − 1) / 2 of copies (1, ·) (tap row 1); rows no output reads are left out.
                int twice = iy + pad, parity = twice & 1, j = twice >> 1;
                if (j >= outputHeight + 1 - parity)
                {
                    continue;
                }
                float* row = x + ((long)c * height + iy) * width;
                float* d = copies + parity * 3 * shifted + c * plane + (long)j * outputWidth;
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
                        left.Store(d + 16 * k);
                        middle.Store(d + shifted + 16 * k);
                        right.Store(d + 2 * shifted + 16 * k);
                        continue;
                    }
                    for (int kx = 0; kx < 3; kx++)
                    {
                        Vector512<float>* m = masks + (k * 3 + kx) * 3;
                        float* src = row + 32 * k + kx - l.Width.Pad;
                        Vector512<float> lower = Avx512F.MaskLoad(src, m[0], Vector512<float>.Zero), upper = Avx512F.MaskLoad(src + 16, m[1], Vector512<float>.Zero);
                        Vector512<float> v = Avx512F.PermuteVar16x32x2(lower, even, upper);
                        Avx512F.MaskStore(d + kx * shifted + 16 * k, m[2], v);
                    }
                }
            }
        }
    }
}
