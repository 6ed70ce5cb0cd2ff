using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The position tile by chunks of channels, and the stride-1 copies by whole planes.
/// </summary>
/// <remarks>
/// <para>Why chunks: a tile of 64 positions reads, per channel, its rows of the three copies (plus two rows for the
/// taps below): 1.5 KB a channel on a 32×32 plane, so 48 KB for VGG-CIFAR's 32-channel layer and 61 KB (a sample's
/// whole copies) on ResNet-20's 64×8×8 — more than the 48 KB first-level cache, and every 4-filter group of the
/// tile reads them all again. By chunks, the tile runs every filter group over one chunk's rows (about
/// <see cref="ChunkBytes"/>) before the next chunk, each group's 16 accumulators parked in a per-worker buffer
/// between chunks (<see cref="ParkFilters"/> filters at a time, 16 KB). The chain of each output is paused and
/// resumed, not reordered: the same bits as all channels at once (PaddedDirectConvolutionTests).
/// <c>ENGINE_PADDED_DIRECT_CHUNK=on|off</c> (unset: the size rule of <see cref="Chunks"/>).</para>
/// <para>Why whole planes: with padding 1 on a stride-1 plane the output is as wide as the input, so copy kx of a
/// channel is the channel's plane shifted by kx − 1 floats with the column that falls in the padding zeroed: one
/// run of vector copies per channel instead of one short masked copy per row (8 floats a row on 8×8 planes).
/// The same floats land in the same places. <c>ENGINE_PADDED_PLANE_COPY=on|off</c>.</para>
/// </remarks>
internal static unsafe partial class PaddedDirectConvolution
{
    /// <summary>
    /// Whether the size rule decides where the position tile runs by chunks of channels (null), or chunks are taken
    /// wherever a tile's rows of the copies outgrow <see cref="ChunkBytes"/> (true) or never (false); settable for tests and benchmarks.
    /// </summary>
    internal static bool? ChunkedTiles { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_PADDED_DIRECT_CHUNK"));

    /// <summary>
    /// Whether the size rule decides where stride-1 copies with padding 1 across are written a plane at a time (null), or
    /// they are wherever the padding allows (true) or never (false); settable for tests and benchmarks.
    /// </summary>
    internal static bool? PlaneCopy { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_PADDED_PLANE_COPY"));

    /// <summary>
    /// Whether a sample's stride-1 copies are written by <see cref="CopyPlanes"/>: the output as wide as the input, and
    /// under the size rule planes at most 16 wide (ResNet-20's and VGG-CIFAR's 8×8 and 16×16: 4–8 % faster by
    /// <c>--quick-padded</c>); on 32-wide planes, whose rows are two whole vectors each, the row copies were as fast or faster.
    /// </summary>
    internal static bool CopiesPlanes(in ConvolutionLayout l) =>
        PlaneCopy != false && l.Height.Stride == 1 && l.Width.Output == l.Width.Input && (PlaneCopy == true || l.Width.Input <= 16);

    /// <summary>
    /// Bytes of a tile's rows of the copies per chunk: a third of the first-level cache, leaving room for the parked
    /// accumulators and the weights streaming through (<c>ENGINE_PADDED_DIRECT_CHUNK_BYTES</c> for measurements).
    /// </summary>
    internal static int ChunkBytes { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("ENGINE_PADDED_DIRECT_CHUNK_BYTES"), out int b) && b > 0 ? b : 16384;

    /// <summary>Filters whose accumulators are parked at a time (a multiple of 4; 64: 16 KB).</summary>
    internal static int ParkFilters { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("ENGINE_PADDED_DIRECT_PARK_FILTERS"), out int f) && f > 0 ? (f + 3) / 4 * 4 : 64;

    /// <summary>A layer's chunks: channels per chunk (0: all at once, no parking), filters parked at a time, and the floats of a worker's park.</summary>
    internal readonly record struct ChunkPlan(int Channels, int Filters)
    {
        public long ParkFloats => (long)Filters * Vectors * 16;
    }

    /// <summary>
    /// How the position tile runs <paramref name="l"/>: by chunks of channels of about <see cref="ChunkBytes"/> of a tile's
    /// rows when forced on and they outgrow that; under the size rule only on stride-2 layers whose tile rows outgrow the
    /// first-level cache (ResNet-20's 32×16×16 → 64: 72 KB, 9 copies a channel). On stride-1 layers (VGG-CIFAR's
    /// 32×32×32: 48 KB; ResNet-20's 64×8×8: 61 KB) chunks ran no faster than all channels at once (benchmarks/NOTES.md,
    /// helper <c>chunktile</c>): the three copies' rows stream from the second-level cache fast enough there.
    /// </summary>
    internal static ChunkPlan Chunks(in ConvolutionLayout l)
    {
        if (ChunkedTiles == false)
        {
            return default;
        }
        // A tile reads 64 positions from each copy of a channel, and stride 1 two more rows for the lower taps.
        bool strided = l.Height.Stride == 2;
        long perChannel = (strided ? 9 : 3) * (Vectors * 16L + (strided ? 0 : 2 * l.Width.Output)) * sizeof(float);
        int channels = (int)Math.Max(1, ChunkBytes / perChannel);
        bool worthwhile = ChunkedTiles == true || (strided && perChannel * l.Channels > FirstLevelCacheBytes);
        return !worthwhile || channels >= l.Channels ? default : new ChunkPlan(channels, Math.Min(ParkFilters, (l.Filters + Filters - 1) / Filters * Filters));
    }

    /// <summary>A first-level data cache's size (48 KB per core on the AMD EPYC (Zen 5) this was measured on; Intel server cores have 48 KB too).</summary>
    private const long FirstLevelCacheBytes = 48 << 10;

    /// <summary>
    /// One sample's output as <see cref="PositionTiles"/> computes it, but per tile and per <see cref="ChunkPlan.Filters"/>
    /// filters, a chunk of channels at a time over every 4-filter group, the groups' accumulators parked in <paramref name="park"/>.
    /// </summary>
    private static void ChunkedPositionTiles(in ConvolutionLayout l, ref Job job, float* padded, float* park, float* yn, bool relu)
    {
        int rows = l.ColumnRows, positions = l.OutputSize, vectors = (positions + 15) / 16;
        ChunkPlan plan = job.Tiles;
        for (int v0 = 0; v0 < vectors; v0 += Vectors)
        {
            Tile tile = TileAt(v0, vectors, positions, l.Width.Output, job.RowStride);
            for (int f0 = 0; f0 < l.Filters; f0 += plan.Filters)
            {
                int f1 = Math.Min(l.Filters, f0 + plan.Filters);
                for (int c0 = 0; c0 < l.Channels; c0 += plan.Channels)
                {
                    int r0 = 9 * c0, r1 = 9 * Math.Min(l.Channels, c0 + plan.Channels);
                    for (int f = f0; f < f1; f += Filters)
                    {
                        Block4x4(r1 - r0, rows, job.RowOffset + r0, padded, job.W + r0, f, l.Filters, tile, yn, positions, job.Scale, job.Shift,
                            job.Relu && relu, park + (long)(f - f0) * Vectors * 16, resume: c0 > 0, leave: r1 < rows);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="CopyShifted"/> where the output is as wide as the input (padding 1 across): copy kx of channel c is x's
    /// plane c read from kx − 1 floats on, 16 floats at a time, with the lanes whose column falls in the padding (the
    /// first column for kx = 0, the last for kx = 2) left zero; masked lanes are not read, so nothing before or after
    /// the plane is touched.
    /// </summary>
    private static void CopyPlanes(in ConvolutionLayout l, float* x, float* padded, long shifted, int paddedHeight)
    {
        int width = l.Width.Input, count = l.Height.Input * width, step = 16 % width;
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), widths = Vector512.Create(width);
        // Each lane's column at the plane's first vector: lane mod width (by subtraction, as 16 / width is small).
        Vector512<int> start = lane;
        while (Vector512.GreaterThanOrEqualAny(start, widths))
        {
            start -= Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(start, widths), widths, Vector512<int>.Zero);
        }
        long plane = (long)paddedHeight * width;
        for (int kx = 0; kx < 3; kx++)
        {
            Vector512<int> edge = Vector512.Create(kx == 0 ? 0 : kx == 2 ? width - 1 : -1), column = start;
            float* first = x + kx - 1, copy = padded + kx * shifted + (long)l.Height.Pad * width;
            // Vector by vector, every channel's at a time: the lanes' columns (and so the mask) are the same in every
            // channel, and advancing them per channel made a chain through memory that cost more than the copy.
            for (int i = 0; i < count; i += 16)
            {
                Vector512<float> inside = Mask(count - i), keep = (~Vector512.Equals(column, edge)).AsSingle() & inside;
                column = Next(column, step, widths);
                float* src = first + i, dst = copy + i;
                for (int c = 0; c < l.Channels; c++)
                {
                    Avx512F.MaskStore(dst + c * plane, inside, Avx512F.MaskLoad(src + (long)c * count, keep, Vector512<float>.Zero));
                }
            }
        }
    }

    /// <summary>The columns 16 floats on: + 16 mod width, wrapped once.</summary>
    private static Vector512<int> Next(Vector512<int> column, int step, Vector512<int> widths)
    {
        column += Vector512.Create(step);
        return column - Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(column, widths), widths, Vector512<int>.Zero);
    }
}
