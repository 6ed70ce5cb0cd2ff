using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The inner tile of <see cref="PaddedDirectConvolution"/> for small planes with many channels (ResNet-20's
/// 32×16×16 and 64×8×8 stages, ResNet-18's 256×14×14 and 512×7×7): filters along the vector, as ONNX
/// Runtime's NCHWc kernels do, instead of positions. A register tile of 64 filters (four vectors) × 6
/// consecutive output positions (24 accumulators) runs over the C·9 column-matrix rows; per row it loads the
/// four weight vectors of its 64 filters (weights repacked once per call, filter-minor) and broadcasts the 6
/// input values from the same padded, shifted copies the position tile reads (position p of row r at
/// <c>rowOffset[r] + p</c>). Every FMA does 16 useful lanes whatever the plane's size, where the position tile
/// ends a 14×14 plane's 13 vectors in a tile of four.
/// </summary>
/// <remarks>
/// <para>Each output is the same chain of FMAs over the rows (channel, tap row, tap column) in order from 0 as
/// the position tile and im2col + the packed GEMM, so the result is bit for bit theirs (tests). Filters past the
/// last are zero weights in the packed copy and not stored; positions past the plane read the copies' slack
/// (no more than 5 floats past the last copy) and are not stored. The accumulators hold positions × filters,
/// kept in a per-worker buffer between chunks of channels (so a chunk's weights and copy rows stay in the
/// first-level cache; the chain is paused and resumed, not reordered) and transposed into the NCHW output after the
/// inference epilogue (scale·acc + shift, ReLU: the same FMA and max as <see cref="ChannelAffineKernels"/>).</para>
/// <para><c>ENGINE_FILTER_BLOCK_CONV=on|off</c>: on uses it on every layer the padded direct kernel takes and makes
/// that kernel take every layer it can; off never; unset, the size rule <see cref="Worthwhile"/> decides.</para>
/// </remarks>
internal static unsafe class FilterBlockConvolution
{
    /// <summary>Whether the size rule decides (null), or the tile is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both tiles in one process.</remarks>
    public static bool? Forced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_FILTER_BLOCK_CONV"));

    /// <summary>
    /// The register tile: 64 filters (four vectors) × 6 positions, 24 accumulators, one broadcast per four FMAs.
    /// A first version's 32 × 14 tile (28 accumulators, a broadcast per two FMAs) was no faster on 32-filter layers
    /// (ResNet-20's 16×16: 4.56 ms against the position tile's 3.50) and was dropped.
    /// </summary>
    internal const int Filters = 64, Positions = 6;

    /// <summary>
    /// The size rule, from <c>Engine.Bench.Kernels --quick-infer</c> (one thread, batch-norm + ReLU epilogue, loaded
    /// machine, benchmarks/NOTES.md helper <c>nchwc</c>): more than 128 channels on outputs of 129–256 positions
    /// (ResNet-18's 256×14×14 stride-1 layers), where the position tile wastes up to a quarter of its lanes (13
    /// vectors a plane in tiles of four) and the batched product ran 1–8 % slower. Slower than the position tile
    /// on ResNet-20's 32×16×16 and 64×8×8 layers (which that tile runs at 85–90 % of the one-thread FMA peak) and
    /// than the batched product on 7×7 planes (6-position tiles waste 5 of 54 positions there), so those keep their paths.
    /// </summary>
    /// <remarks>Layers Winograd's deep rule takes (<see cref="WinogradConvolution.TakesDeep"/>, <c>ENGINE_WINOGRAD_DEEP</c>) are left to it
    /// unless the padded direct kernel is forced on.</remarks>
    internal static bool Worthwhile(in ConvolutionLayout l) => l.Channels > 128 && l.Filters >= Filters && l.OutputSize is > 128 and <= 256
        && (PaddedDirectConvolution.Forced == true || !WinogradConvolution.TakesDeep(l));

    /// <summary>Whether a layer the padded direct kernel runs goes through this tile.</summary>
    internal static bool Chosen(in ConvolutionLayout l) => Forced ?? Worthwhile(l);

    /// <summary>Floats of the packed weights, scales and shifts: whole 32-filter blocks.</summary>
    internal static long PackedFloats(in ConvolutionLayout l) => (long)Blocks(l) * Filters * (l.ColumnRows + 2);

    private static int Blocks(in ConvolutionLayout l) => (l.Filters + Filters - 1) / Filters;

    /// <summary>
    /// Packs w (filters × rows) into <paramref name="packed"/> as [block][row][the block's filters], zero past the last
    /// filter, followed by the epilogue's scale and shift per filter (zero-padded; unused without them). A null
    /// <paramref name="w"/> writes the scales and shifts alone (the weights come from <see cref="DerivedFilters"/>).
    /// </summary>
    public static void Pack(in ConvolutionLayout l, float* w, float* scale, float* shift, float* packed)
    {
        int rows = l.ColumnRows, blocks = Blocks(l), filters = Filters;
        long skipped = w is null ? WeightFloats(l) : 0;
        new Span<float>(packed + skipped, checked((int)(PackedFloats(l) - skipped))).Clear();
        for (int f = 0; w is not null && f < l.Filters; f++)
        {
            float* dst = packed + (long)(f / filters) * rows * filters + f % filters, src = w + (long)f * rows;
            for (int r = 0; r < rows; r++)
            {
                dst[(long)r * filters] = src[r];
            }
        }
        if (scale is not null)
        {
            float* s = Scales(l, packed);
            new ReadOnlySpan<float>(scale, l.Filters).CopyTo(new Span<float>(s, l.Filters));
            new ReadOnlySpan<float>(shift, l.Filters).CopyTo(new Span<float>(s + blocks * filters, l.Filters));
        }
    }

    /// <summary>Floats of the packed weights alone (what <see cref="DerivedFilters"/> keeps: the scales change every pass).</summary>
    internal static long WeightFloats(in ConvolutionLayout l) => (long)Blocks(l) * Filters * l.ColumnRows;

    /// <summary>Where <see cref="Pack"/> puts the scales (then the shifts) after the weights of <paramref name="packed"/>.</summary>
    internal static float* Scales(in ConvolutionLayout l, float* packed) => packed + WeightFloats(l);

    /// <summary>Floats of one worker's accumulator buffer: every position tile's positions × filters.</summary>
    internal static long AccumulatorFloats(in ConvolutionLayout l) => (long)Tiles(l) * Positions * Filters;

    private static int Tiles(in ConvolutionLayout l) => (l.OutputSize + Positions - 1) / Positions;

    /// <summary>
    /// Channels per chunk of the chain: the chunk's weights (9 rows × 32 filters a channel, 1,152 bytes) and its
    /// rows of the copies (<paramref name="copyFloats"/> a channel) stay in the first-level cache while every
    /// position tile runs over them. Without chunks each tile streamed the block's whole weights and the sample's
    /// copies from the second-level cache (73 KB + 61 KB a tile on ResNet-20's 64×8×8).
    /// </summary>
    internal static int ChunkChannels(long copyFloats) => ChunkSetting > 0 ? ChunkSetting : (int)Math.Clamp(3072 / copyFloats, 1, 8);

    /// <summary><c>ENGINE_FILTER_BLOCK_CHUNK</c>: channels per chunk for measurements (0: the rule above).</summary>
    internal static int ChunkSetting { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("ENGINE_FILTER_BLOCK_CHUNK"), out int c) && c > 0 ? c : 0;

    /// <summary>
    /// One sample's output <paramref name="y"/> (filters × positions) from its padded copies, per 32-filter block a
    /// chunk of channels at a time over every 14-position tile, the accumulators kept in <paramref name="acc"/>
    /// between chunks (the same FMA chain per output, paused and resumed). <paramref name="epilogue"/>: apply the
    /// packed scale and shift (<paramref name="scales"/>: <see cref="Scales"/> of the block <see cref="Pack"/> wrote; the
    /// weights may come from a cached copy) and the ReLU before the transposed store.
    /// </summary>
    public static void Sample(in ConvolutionLayout l, int* rowOffset, float* padded, float* packed, float* scales, float* acc, int chunk, float* y, bool epilogue, bool relu)
    {
        int rows = l.ColumnRows, blocks = Blocks(l), positions = l.OutputSize, tiles = Tiles(l), filters = Filters, width = Positions;
        for (int b = 0; b < blocks; b++)
        {
            int first = b * filters, count = Math.Min(filters, l.Filters - first);
            float* wb = packed + (long)b * rows * filters;
            for (int c0 = 0; c0 < l.Channels; c0 += chunk)
            {
                int r0 = 9 * c0, r1 = 9 * Math.Min(l.Channels, c0 + chunk);
                for (int t = 0; t < tiles; t++)
                {
                    Tile(r1 - r0, rowOffset + r0, padded + t * width, wb + (long)r0 * filters, acc + (long)t * width * filters, c0 == 0);
                }
            }
            float* scale = epilogue ? scales + first : null, shift = epilogue ? scales + blocks * filters + first : null;
            for (int t = 0; t < tiles; t++)
            {
                float* tile = acc + (long)t * width * filters;
                int p0 = t * width;
                Finish(tile, width * filters, filters, scale, shift, relu);
                Store(tile, filters, y + (long)first * positions + p0, positions, count, Math.Min(width, positions - p0));
            }
        }
    }

    /// <summary>The tile's positions × filters into the NCHW planes: filter j's plane at <c>y + j·positions</c>.</summary>
    private static void Store(float* tile, int stride, float* y, int positions, int filters, int count)
    {
        for (int j = 0; j < filters; j++)
        {
            float* plane = y + (long)j * positions;
            for (int i = 0; i < count; i++)
            {
                plane[i] = tile[i * stride + j];
            }
        }
    }

    /// <summary>The inference epilogue (scale·acc + shift, then ReLU) over a tile's accumulators, in place; nothing without a scale.</summary>
    private static void Finish(float* tile, int count, int filters, float* scale, float* shift, bool relu)
    {
        if (scale is null)
        {
            return;
        }
        for (int i = 0; i < count; i += 16)
        {
            int j = i % filters;
            Vector512<float> v = Vector512.FusedMultiplyAdd(Vector512.Load(tile + i), Vector512.Load(scale + j), Vector512.Load(shift + j));
            (relu ? Vector512.Max(v, Vector512<float>.Zero) : v).Store(tile + i);
        }
    }

    // 64 filters × 6 positions: 24 accumulators (from zero, or resumed from the buffer), four weight vectors, one
    // broadcast per four FMAs; no spills (DOTNET_JitDisasm).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(int rows, int* rowOffset, float* x, float* w, float* tile, bool start)
    {
        Vector512<float> a0 = default, b0 = default, c0 = default, d0 = default, a1 = default, b1 = default, c1 = default, d1 = default;
        Vector512<float> a2 = default, b2 = default, c2 = default, d2 = default, a3 = default, b3 = default, c3 = default, d3 = default;
        Vector512<float> a4 = default, b4 = default, c4 = default, d4 = default, a5 = default, b5 = default, c5 = default, d5 = default;
        if (!start)
        {
            a0 = Vector512.Load(tile); b0 = Vector512.Load(tile + 16); c0 = Vector512.Load(tile + 32); d0 = Vector512.Load(tile + 48);
            a1 = Vector512.Load(tile + 64); b1 = Vector512.Load(tile + 80); c1 = Vector512.Load(tile + 96); d1 = Vector512.Load(tile + 112);
            a2 = Vector512.Load(tile + 128); b2 = Vector512.Load(tile + 144); c2 = Vector512.Load(tile + 160); d2 = Vector512.Load(tile + 176);
            a3 = Vector512.Load(tile + 192); b3 = Vector512.Load(tile + 208); c3 = Vector512.Load(tile + 224); d3 = Vector512.Load(tile + 240);
            a4 = Vector512.Load(tile + 256); b4 = Vector512.Load(tile + 272); c4 = Vector512.Load(tile + 288); d4 = Vector512.Load(tile + 304);
            a5 = Vector512.Load(tile + 320); b5 = Vector512.Load(tile + 336); c5 = Vector512.Load(tile + 352); d5 = Vector512.Load(tile + 368);
        }
        for (int r = 0; r < rows; r++, w += Filters)
        {
            float* q = x + rowOffset[r];
            Vector512<float> w0 = Vector512.Load(w), w1 = Vector512.Load(w + 16), w2 = Vector512.Load(w + 32), w3 = Vector512.Load(w + 48), s;
            s = Vector512.Create(q[0]);
            a0 = Vector512.FusedMultiplyAdd(s, w0, a0); b0 = Vector512.FusedMultiplyAdd(s, w1, b0); c0 = Vector512.FusedMultiplyAdd(s, w2, c0); d0 = Vector512.FusedMultiplyAdd(s, w3, d0);
            s = Vector512.Create(q[1]);
            a1 = Vector512.FusedMultiplyAdd(s, w0, a1); b1 = Vector512.FusedMultiplyAdd(s, w1, b1); c1 = Vector512.FusedMultiplyAdd(s, w2, c1); d1 = Vector512.FusedMultiplyAdd(s, w3, d1);
            s = Vector512.Create(q[2]);
            a2 = Vector512.FusedMultiplyAdd(s, w0, a2); b2 = Vector512.FusedMultiplyAdd(s, w1, b2); c2 = Vector512.FusedMultiplyAdd(s, w2, c2); d2 = Vector512.FusedMultiplyAdd(s, w3, d2);
            s = Vector512.Create(q[3]);
            a3 = Vector512.FusedMultiplyAdd(s, w0, a3); b3 = Vector512.FusedMultiplyAdd(s, w1, b3); c3 = Vector512.FusedMultiplyAdd(s, w2, c3); d3 = Vector512.FusedMultiplyAdd(s, w3, d3);
            s = Vector512.Create(q[4]);
            a4 = Vector512.FusedMultiplyAdd(s, w0, a4); b4 = Vector512.FusedMultiplyAdd(s, w1, b4); c4 = Vector512.FusedMultiplyAdd(s, w2, c4); d4 = Vector512.FusedMultiplyAdd(s, w3, d4);
            s = Vector512.Create(q[5]);
            a5 = Vector512.FusedMultiplyAdd(s, w0, a5); b5 = Vector512.FusedMultiplyAdd(s, w1, b5); c5 = Vector512.FusedMultiplyAdd(s, w2, c5); d5 = Vector512.FusedMultiplyAdd(s, w3, d5);
        }
        a0.Store(tile); b0.Store(tile + 16); c0.Store(tile + 32); d0.Store(tile + 48);
        a1.Store(tile + 64); b1.Store(tile + 80); c1.Store(tile + 96); d1.Store(tile + 112);
        a2.Store(tile + 128); b2.Store(tile + 144); c2.Store(tile + 160); d2.Store(tile + 176);
        a3.Store(tile + 192); b3.Store(tile + 208); c3.Store(tile + 224); d3.Store(tile + 240);
        a4.Store(tile + 256); b4.Store(tile + 272); c4.Store(tile + 288); d4.Store(tile + 304);
        a5.Store(tile + 320); b5.Store(tile + 336); c5.Store(tile + 352); d5.Store(tile + 368);
    }
}
