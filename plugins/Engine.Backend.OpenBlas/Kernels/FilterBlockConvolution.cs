using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The inner tile of <see cref="PaddedDirectConvolution"/> for small planes with many channels (ResNet-20's
/// 32×16×16 and 64×8×8 stages, ResNet-18's 256×14×14 and 512×7×7): filters along the vector, as ONNX
/// Runtime's NCHWc kernels do, instead of positions. A register tile of 32 filters (two vectors) × 14
/// consecutive output positions (28 accumulators) runs over the C·9 column-matrix rows; per row it loads the
/// two weight vectors of its 32 filters (weights repacked once per call, filter-minor) and broadcasts the 14
/// input values from the same padded, shifted copies the position tile reads (position p of row r at
/// <c>rowOffset[r] + p</c>). On an 8×8 or 7×7 plane the position tile covered the whole plane with only four
/// vectors per weight broadcast and wasted up to a quarter of its lanes on 49 positions; here every FMA does
/// 16 useful lanes and each weight vector serves 14 positions.
/// </summary>
/// <remarks>
/// <para>Each output is the same chain of FMAs over the rows (channel, tap row, tap column) in order from 0 as
/// the position tile and im2col + the packed GEMM, so the result is bit for bit theirs (tests). Filters past the
/// last are zero weights in the packed copy and not stored; positions past the plane read the copies' slack
/// (no more than 13 floats past the last copy) and are not stored. The accumulators hold positions × filters,
/// transposed into the NCHW output through a small buffer after the inference epilogue (scale·acc + shift,
/// ReLU: the same FMA and max as <see cref="ChannelAffineKernels"/>) is applied in registers.</para>
/// <para><c>ENGINE_FILTER_BLOCK_CONV=on|off</c>: on uses it on every layer the padded direct kernel takes and makes
/// that kernel take every layer it can; off never; unset, the size rule <see cref="Worthwhile"/> decides.</para>
/// </remarks>
internal static unsafe class FilterBlockConvolution
{
    /// <summary>Whether the size rule decides (null), or the tile is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both tiles in one process.</remarks>
    public static bool? Forced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_FILTER_BLOCK_CONV"));

    /// <summary>Filters in the register tile (two vectors of 16) and output positions in it.</summary>
    internal const int Filters = 32, Positions = 14;

    /// <summary>
    /// The size rule: at least 32 channels and 32 filters (fewer leave the tile's filters mostly zero and the rows
    /// short) on output planes of at most 256 positions (16×16), where the position tile's four vectors cover a
    /// plane in a few tiles and its weight broadcasts dominate. From <c>Engine.Bench.Kernels --quick-infer</c>
    /// (benchmarks/NOTES.md, helper <c>nchwc</c>).
    /// </summary>
    internal static bool Worthwhile(in ConvolutionLayout l) => l.Channels >= 32 && l.Filters >= 32 && l.OutputSize <= 256;

    /// <summary>Whether a layer the padded direct kernel runs goes through this tile.</summary>
    internal static bool Chosen(in ConvolutionLayout l) => Forced ?? Worthwhile(l);

    /// <summary>Floats of the packed weights, scales and shifts: whole 32-filter blocks.</summary>
    internal static long PackedFloats(in ConvolutionLayout l) => (long)Blocks(l) * Filters * (l.ColumnRows + 2);

    private static int Blocks(in ConvolutionLayout l) => (l.Filters + Filters - 1) / Filters;

    /// <summary>
    /// Packs w (filters × rows) into <paramref name="packed"/> as [block][row][32 filters], zero past the last
    /// filter, followed by the epilogue's scale and shift per filter (zero-padded; unused without them).
    /// </summary>
    public static void Pack(in ConvolutionLayout l, float* w, float* scale, float* shift, float* packed)
    {
        int rows = l.ColumnRows, blocks = Blocks(l);
        new Span<float>(packed, checked((int)PackedFloats(l))).Clear();
        for (int f = 0; f < l.Filters; f++)
        {
            float* dst = packed + (long)(f / Filters) * rows * Filters + f % Filters, src = w + (long)f * rows;
            for (int r = 0; r < rows; r++)
            {
                dst[(long)r * Filters] = src[r];
            }
        }
        if (scale is not null)
        {
            float* s = Scales(packed, rows, blocks);
            new ReadOnlySpan<float>(scale, l.Filters).CopyTo(new Span<float>(s, l.Filters));
            new ReadOnlySpan<float>(shift, l.Filters).CopyTo(new Span<float>(s + blocks * Filters, l.Filters));
        }
    }

    private static float* Scales(float* packed, int rows, int blocks) => packed + (long)blocks * rows * Filters;

    /// <summary>
    /// One sample's output <paramref name="y"/> (filters × positions) from its padded copies, every 32-filter block
    /// over every 14-position tile. <paramref name="epilogue"/>: apply the packed scale and shift (and the ReLU).
    /// </summary>
    public static void Sample(in ConvolutionLayout l, int* rowOffset, float* padded, float* packed, float* y, bool epilogue, bool relu)
    {
        int rows = l.ColumnRows, blocks = Blocks(l), positions = l.OutputSize;
        float* scales = Scales(packed, rows, blocks);
        float* tile = stackalloc float[Filters * Positions];
        for (int b = 0; b < blocks; b++)
        {
            int first = b * Filters, count = Math.Min(Filters, l.Filters - first);
            float* wb = packed + (long)b * rows * Filters;
            float* scale = epilogue ? scales + first : null, shift = epilogue ? scales + blocks * Filters + first : null;
            for (int p0 = 0; p0 < positions; p0 += Positions)
            {
                Tile(rows, rowOffset, padded + p0, wb, tile, scale, shift, relu);
                Store(tile, y + (long)first * positions + p0, positions, count, Math.Min(Positions, positions - p0));
            }
        }
    }

    /// <summary>The tile's positions × filters into the NCHW planes: filter j's plane at <c>y + j·positions</c>.</summary>
    private static void Store(float* tile, float* y, int positions, int filters, int count)
    {
        for (int j = 0; j < filters; j++)
        {
            float* plane = y + (long)j * positions;
            for (int i = 0; i < count; i++)
            {
                plane[i] = tile[i * Filters + j];
            }
        }
    }

    // 32 filters × 14 positions: 28 accumulators, two weight vectors, each input a broadcast from the copies.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(int rows, int* rowOffset, float* x, float* w, float* tile, float* scale, float* shift, bool relu)
    {
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector512<float> a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default, a7 = default, b7 = default;
        Vector512<float> a8 = default, b8 = default, a9 = default, b9 = default, a10 = default, b10 = default, a11 = default, b11 = default;
        Vector512<float> a12 = default, b12 = default, a13 = default, b13 = default;
        for (int r = 0; r < rows; r++, w += Filters)
        {
            float* q = x + rowOffset[r];
            Vector512<float> lo = Vector512.Load(w), hi = Vector512.Load(w + 16), s;
            s = Vector512.Create(q[0]); a0 = Vector512.FusedMultiplyAdd(lo, s, a0); b0 = Vector512.FusedMultiplyAdd(hi, s, b0);
            s = Vector512.Create(q[1]); a1 = Vector512.FusedMultiplyAdd(lo, s, a1); b1 = Vector512.FusedMultiplyAdd(hi, s, b1);
            s = Vector512.Create(q[2]); a2 = Vector512.FusedMultiplyAdd(lo, s, a2); b2 = Vector512.FusedMultiplyAdd(hi, s, b2);
            s = Vector512.Create(q[3]); a3 = Vector512.FusedMultiplyAdd(lo, s, a3); b3 = Vector512.FusedMultiplyAdd(hi, s, b3);
            s = Vector512.Create(q[4]); a4 = Vector512.FusedMultiplyAdd(lo, s, a4); b4 = Vector512.FusedMultiplyAdd(hi, s, b4);
            s = Vector512.Create(q[5]); a5 = Vector512.FusedMultiplyAdd(lo, s, a5); b5 = Vector512.FusedMultiplyAdd(hi, s, b5);
            s = Vector512.Create(q[6]); a6 = Vector512.FusedMultiplyAdd(lo, s, a6); b6 = Vector512.FusedMultiplyAdd(hi, s, b6);
            s = Vector512.Create(q[7]); a7 = Vector512.FusedMultiplyAdd(lo, s, a7); b7 = Vector512.FusedMultiplyAdd(hi, s, b7);
            s = Vector512.Create(q[8]); a8 = Vector512.FusedMultiplyAdd(lo, s, a8); b8 = Vector512.FusedMultiplyAdd(hi, s, b8);
            s = Vector512.Create(q[9]); a9 = Vector512.FusedMultiplyAdd(lo, s, a9); b9 = Vector512.FusedMultiplyAdd(hi, s, b9);
            s = Vector512.Create(q[10]); a10 = Vector512.FusedMultiplyAdd(lo, s, a10); b10 = Vector512.FusedMultiplyAdd(hi, s, b10);
            s = Vector512.Create(q[11]); a11 = Vector512.FusedMultiplyAdd(lo, s, a11); b11 = Vector512.FusedMultiplyAdd(hi, s, b11);
            s = Vector512.Create(q[12]); a12 = Vector512.FusedMultiplyAdd(lo, s, a12); b12 = Vector512.FusedMultiplyAdd(hi, s, b12);
            s = Vector512.Create(q[13]); a13 = Vector512.FusedMultiplyAdd(lo, s, a13); b13 = Vector512.FusedMultiplyAdd(hi, s, b13);
        }
        Put(tile, 0, a0, b0, scale, shift, relu); Put(tile, 1, a1, b1, scale, shift, relu);
        Put(tile, 2, a2, b2, scale, shift, relu); Put(tile, 3, a3, b3, scale, shift, relu);
        Put(tile, 4, a4, b4, scale, shift, relu); Put(tile, 5, a5, b5, scale, shift, relu);
        Put(tile, 6, a6, b6, scale, shift, relu); Put(tile, 7, a7, b7, scale, shift, relu);
        Put(tile, 8, a8, b8, scale, shift, relu); Put(tile, 9, a9, b9, scale, shift, relu);
        Put(tile, 10, a10, b10, scale, shift, relu); Put(tile, 11, a11, b11, scale, shift, relu);
        Put(tile, 12, a12, b12, scale, shift, relu); Put(tile, 13, a13, b13, scale, shift, relu);
    }

    /// <summary>Position <paramref name="i"/>'s 32 filters, through the epilogue (if any), into the tile buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* tile, int i, Vector512<float> lo, Vector512<float> hi, float* scale, float* shift, bool relu)
    {
        if (scale is not null)
        {
            lo = Vector512.FusedMultiplyAdd(lo, Vector512.Load(scale), Vector512.Load(shift));
            hi = Vector512.FusedMultiplyAdd(hi, Vector512.Load(scale + 16), Vector512.Load(shift + 16));
            if (relu)
            {
                lo = Vector512.Max(lo, Vector512<float>.Zero);
                hi = Vector512.Max(hi, Vector512<float>.Zero);
            }
        }
        lo.Store(tile + i * Filters);
        hi.Store(tile + i * Filters + 16);
    }
}
