using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The position tile of eight filters × three vectors of 16 positions (24 of the 32 registers as accumulators).
/// </summary>
/// <remarks>
/// <para>Why: the four × four tile (16 accumulators) reads four input vectors and broadcasts four weights for 16
/// multiply-adds, from four filter rows of w strided apart, and its four vectors' rows of the copies outgrow a 32 KB
/// first-level cache on 16 channels. This tile broadcasts eight weights and loads three vectors for 24 multiply-adds
/// (11 loads against 9 for 16), reads a quarter fewer input rows per tile, and every other filter group is half as
/// many passes over them; its weights are repacked per call to eight consecutive floats a column-matrix row (a few
/// kilobytes, repeating the last filter where the count is not a multiple of 8), so one pointer serves the eight
/// broadcasts. Each output's chain is the same (rows in order, from 0): the same bits (PaddedDirectConvolutionTests).</para>
/// <para>Measured slower (<c>Engine.Bench.Kernels --quick-padded</c>, one thread, loaded machine, benchmarks/NOTES.md helper
/// <c>tile</c>): 5–12 % on ResNet-20's and VGG-CIFAR's 32×32 and 16×16 layers and a third on the 8×8 ones, whose 4 vectors a
/// plane make a second tile of one vector computed three times; taking the weights as embedded broadcasts in the multiply-adds
/// changed nothing. So the size rule (auto) keeps the 4 × 4 tile everywhere; the tile stays for measurements on other
/// machines. <c>ENGINE_PADDED_TILE=4x4|8x3|auto</c> (unset or anything else: auto).</para>
/// </remarks>
internal static unsafe partial class PaddedDirectConvolution
{
    /// <summary>The position tile's shape: by the size rule (null), 8 × 3 (true) or 4 × 4 (false); settable for tests and benchmarks.</summary>
    internal static bool? Tile8x3 { get; set; } = ParseTile(Environment.GetEnvironmentVariable("ENGINE_PADDED_TILE"));

    private static bool? ParseTile(string? setting) => setting?.Trim().ToLowerInvariant() switch
    {
        "8x3" => true,
        "4x4" => false,
        _ => null,
    };

    /// <summary>Filters and vectors of the wide tile.</summary>
    private const int WideFilters = 8, WideVectors = 3;

    /// <summary>
    /// Whether the position tile is 8 × 3: only when forced (the size rule never takes it, see the remarks), and not by chunks
    /// of channels, which park the 4 × 4 tile's accumulators.
    /// </summary>
    internal static bool Uses8x3(in ChunkPlan chunks) => Tile8x3 == true && chunks.Channels == 0;

    /// <summary>Floats of the wide tile's repacked weights: the filters rounded up to 8, each column-matrix row's eight together.</summary>
    internal static long WidePackedFloats(in ConvolutionLayout l) => (long)(l.Filters + WideFilters - 1) / WideFilters * WideFilters * l.ColumnRows;

    /// <summary>w (filters × rows) into groups of eight filters, row by row: packed[g, r, k] = w[min(8g + k, filters − 1), r].</summary>
    internal static void PackWide(in ConvolutionLayout l, float* w, float* packed)
    {
        int rows = l.ColumnRows;
        for (int g = 0; g < l.Filters; g += WideFilters)
        {
            float* group = packed + (long)g * rows;
            for (int k = 0; k < WideFilters; k++)
            {
                float* filter = w + (long)Math.Min(g + k, l.Filters - 1) * rows;
                for (int r = 0; r < rows; r++)
                {
                    group[r * WideFilters + k] = filter[r];
                }
            }
        }
    }

    /// <summary>One sample's output by tiles of eight filters × three vectors of 16 positions.</summary>
    private static void WideTiles(in ConvolutionLayout l, ref Job job, float* padded, float* yn, bool relu)
    {
        int rows = l.ColumnRows, positions = l.OutputSize, vectors = (positions + 15) / 16;
        for (int v0 = 0; v0 < vectors; v0 += WideVectors)
        {
            Tile tile = TileAt(v0, vectors, positions, l.Width.Output, job.RowStride);
            for (int f = 0; f < l.Filters; f += WideFilters)
            {
                Block8x3(rows, job.RowOffset, padded, job.Wide + (long)f * rows, f, l.Filters, tile, yn, positions, job.Scale, job.Shift, job.Relu && relu);
            }
        }
    }

    // Eight filters (first, … first + 7; past the last one repeats it and is not stored) × the tile's first three vectors:
    // 24 accumulators over the rows column-matrix rows, each row's eight weights together in w.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block8x3(int rows, int* rowOffset, float* padded, float* w, int first, int filters, in Tile t, float* y, int positions,
        float* scale, float* shift, bool relu)
    {
        float* p0 = padded + t.In0, p1 = padded + t.In1, p2 = padded + t.In2;
        Vector512<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a50 = default, a51 = default, a52 = default;
        Vector512<float> a60 = default, a61 = default, a62 = default, a70 = default, a71 = default, a72 = default;
        for (int r = 0; r < rows; r++, w += WideFilters)
        {
            int o = rowOffset[r];
            Vector512<float> x0 = Vector512.Load(p0 + o), x1 = Vector512.Load(p1 + o), x2 = Vector512.Load(p2 + o);
            Vector512<float> s0 = Vector512.Create(w[0]);
            a00 = Vector512.FusedMultiplyAdd(s0, x0, a00); a01 = Vector512.FusedMultiplyAdd(s0, x1, a01); a02 = Vector512.FusedMultiplyAdd(s0, x2, a02);
            s0 = Vector512.Create(w[1]);
            a10 = Vector512.FusedMultiplyAdd(s0, x0, a10); a11 = Vector512.FusedMultiplyAdd(s0, x1, a11); a12 = Vector512.FusedMultiplyAdd(s0, x2, a12);
            s0 = Vector512.Create(w[2]);
            a20 = Vector512.FusedMultiplyAdd(s0, x0, a20); a21 = Vector512.FusedMultiplyAdd(s0, x1, a21); a22 = Vector512.FusedMultiplyAdd(s0, x2, a22);
            s0 = Vector512.Create(w[3]);
            a30 = Vector512.FusedMultiplyAdd(s0, x0, a30); a31 = Vector512.FusedMultiplyAdd(s0, x1, a31); a32 = Vector512.FusedMultiplyAdd(s0, x2, a32);
            s0 = Vector512.Create(w[4]);
            a40 = Vector512.FusedMultiplyAdd(s0, x0, a40); a41 = Vector512.FusedMultiplyAdd(s0, x1, a41); a42 = Vector512.FusedMultiplyAdd(s0, x2, a42);
            s0 = Vector512.Create(w[5]);
            a50 = Vector512.FusedMultiplyAdd(s0, x0, a50); a51 = Vector512.FusedMultiplyAdd(s0, x1, a51); a52 = Vector512.FusedMultiplyAdd(s0, x2, a52);
            s0 = Vector512.Create(w[6]);
            a60 = Vector512.FusedMultiplyAdd(s0, x0, a60); a61 = Vector512.FusedMultiplyAdd(s0, x1, a61); a62 = Vector512.FusedMultiplyAdd(s0, x2, a62);
            s0 = Vector512.Create(w[7]);
            a70 = Vector512.FusedMultiplyAdd(s0, x0, a70); a71 = Vector512.FusedMultiplyAdd(s0, x1, a71); a72 = Vector512.FusedMultiplyAdd(s0, x2, a72);
        }
        Put3(y + (long)first * positions, t, a00, a01, a02, scale, shift, first, relu);
        if (first + 1 < filters) { Put3(y + (long)(first + 1) * positions, t, a10, a11, a12, scale, shift, first + 1, relu); }
        if (first + 2 < filters) { Put3(y + (long)(first + 2) * positions, t, a20, a21, a22, scale, shift, first + 2, relu); }
        if (first + 3 < filters) { Put3(y + (long)(first + 3) * positions, t, a30, a31, a32, scale, shift, first + 3, relu); }
        if (first + 4 < filters) { Put3(y + (long)(first + 4) * positions, t, a40, a41, a42, scale, shift, first + 4, relu); }
        if (first + 5 < filters) { Put3(y + (long)(first + 5) * positions, t, a50, a51, a52, scale, shift, first + 5, relu); }
        if (first + 6 < filters) { Put3(y + (long)(first + 6) * positions, t, a60, a61, a62, scale, shift, first + 6, relu); }
        if (first + 7 < filters) { Put3(y + (long)(first + 7) * positions, t, a70, a71, a72, scale, shift, first + 7, relu); }
    }

    /// <summary>One filter's three vectors of the tile, through the epilogue (if any), into its output plane <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put3(float* y, in Tile t, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, float* scale, float* shift, int filter, bool relu)
    {
        if (scale is not null)
        {
            Vector512<float> s = Vector512.Create(scale[filter]), b = Vector512.Create(shift[filter]);
            v0 = Vector512.FusedMultiplyAdd(v0, s, b);
            v1 = Vector512.FusedMultiplyAdd(v1, s, b);
            v2 = Vector512.FusedMultiplyAdd(v2, s, b);
            if (relu)
            {
                v0 = Vector512.Max(v0, Vector512<float>.Zero);
                v1 = Vector512.Max(v1, Vector512<float>.Zero);
                v2 = Vector512.Max(v2, Vector512<float>.Zero);
            }
        }
        Avx512F.MaskStore(y + t.At0, t.Mask0, v0);
        Avx512F.MaskStore(y + t.At1, t.Mask1, v1);
        Avx512F.MaskStore(y + t.At2, t.Mask2, v2);
    }
}
