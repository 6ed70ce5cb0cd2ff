using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The filter gradient dw of an FP32 3×3 stride-1 convolution by Winograd's F(4×4, 3×3), the pass
/// <see cref="WinogradConvolution"/> leaves to im2col: per 4×4 tile of dy, the input patch's V = Bᵀ·d·B
/// and the gradient tile's A·dY·Aᵀ (<see cref="WinogradGradientTransforms"/>), 36 products
/// S[ξ] += dY'[ξ]·V[ξ]ᵀ (filters × channels, the tiles as depth) on the packed GEMM, and dw = Gᵀ·S·G
/// at the end: a quarter of im2col's multiply-adds, as for forward.
/// </summary>
/// <remarks>
/// <para>The tile rows of the batch are cut into blocks (V and dY' of a block stay in the core's
/// second-level cache between the transforms and the products) and the blocks into
/// <see cref="Parts"/> consecutive ranges, a number fixed by the layout alone. A range's blocks add
/// into that range's own S in order, and the ranges' S are summed in range order (in double, with the
/// last transform), so the result does not depend on the thread count or on which thread ran what.</para>
/// <para>Rounding differs from im2col's direct sums (the transforms mix values of different size):
/// WinogradFilterGradientTests bounds it against a double-precision reference.</para>
/// </remarks>
internal static unsafe class WinogradFilterGradient
{
    /// <summary>
    /// Whether the size rule decides (null), or this pass is forced on (true) or off (false):
    /// <c>ENGINE_WINOGRAD_FILTER=on|off</c>. <c>ENGINE_WINOGRAD=off</c> turns it off too.
    /// </summary>
    public static bool? Forced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_WINOGRAD_FILTER"));

    /// <summary>Tiles per block (the depth of one product): 0 sizes blocks by <see cref="BlockFloats"/>; <c>ENGINE_WINOGRAD_FILTER_TILES</c> sets it for measurements.</summary>
    public static int TileTarget { get; internal set; } = int.TryParse(Environment.GetEnvironmentVariable("ENGINE_WINOGRAD_FILTER_TILES"), out int t) && t > 0 ? t : 0;

    /// <summary>Ranges of blocks with their own partial S (fixed, not the thread count, so the sum's order is too); settable for tests.</summary>
    internal static int Parts { get; set; } = 4;

    /// <summary>Floats of V and dY' per block by default (1.25 MB, most of one core's 2 MB second-level cache).</summary>
    private const int BlockFloats = 320 * 1024;

    /// <summary>Slack after each row of V and dY' and each phase row: whole vectors of the last tiles spill into it.</summary>
    private const int Slack = 16;

    /// <summary>Whether backward filter of the layout runs here.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged
    {
        bool? forced = WinogradConvolution.Forced == false ? false : Forced ?? WinogradConvolution.Forced;
        if (typeof(T) != typeof(float) || forced == false || !WinogradConvolution.Fits(l))
        {
            return false;
        }
        return forced == true || WinogradConvolution.Worthwhile(l);
    }

    /// <summary>What one call works on: the forward convolution's shape and the blocking.</summary>
    private struct Job
    {
        public float* X, Dy, Dw, Sums, Scratch;
        public int Batch, Channels, Filters, InHeight, InWidth, OutHeight, OutWidth, PadTop, PadLeft;
        public int TilesWide, TilesHigh, RowsPerBlock, PlaneRows, Blocks, Parts, Folds, Ld, Stride, Bits;
        public long PerWorker, PartStride;
    }

    /// <summary>dw (overwritten) from x and dy for a layout that <see cref="WinogradConvolution.Fits"/>.</summary>
    public static void Run(in ConvolutionLayout l, float* x, float* dy, float* dw, ConvolutionWorkspace workspace)
    {
        var job = new Job
        {
            X = x,
            Dy = dy,
            Dw = dw,
            Batch = l.Batch,
            Channels = l.Channels,
            Filters = l.Filters,
            InHeight = l.Height.Input,
            InWidth = l.Width.Input,
            OutHeight = l.Height.Output,
            OutWidth = l.Width.Output,
            PadTop = l.Height.Pad,
            PadLeft = l.Width.Pad,
            TilesWide = (l.Width.Output + 3) / 4,
            TilesHigh = (l.Height.Output + 3) / 4,
        };
        long tileRows = (long)job.Batch * job.TilesHigh;
        // Blocks of about BlockFloats, but at least 2·K·C/(C + K) tiles deep: each block reloads and stores
        // S (2·K·C floats a point), which should cost no more than its V and dY' ((C + K)·tiles). On
        // (16,128,28,28) 126-tile blocks (4.6 MB, past the second-level cache) ran 1.1-1.2x faster than 35-tile ones.
        int target = TileTarget > 0 ? TileTarget : Math.Max(Math.Max(16, BlockFloats / (WinogradTransforms.Points * (job.Channels + job.Filters))),
            2 * job.Filters * job.Channels / (job.Channels + job.Filters));
        job.RowsPerBlock = (int)Math.Clamp((target + job.TilesWide / 2) / job.TilesWide, 1, tileRows);
        job.Blocks = (int)((tileRows + job.RowsPerBlock - 1) / job.RowsPerBlock);
        job.Parts = Math.Min(Parts, job.Blocks);
        job.Ld = Depth(job.RowsPerBlock * job.TilesWide) + Slack;
        job.Stride = (job.TilesWide + 1 + Slack + 15) & ~15;
        job.Bits = WinogradConvolution.Bits != 0 ? WinogradConvolution.Bits
            : Vector512.IsHardwareAccelerated && job.TilesWide > 8 ? 512
            : Vector256.IsHardwareAccelerated ? 256
            : 128;
        job.PartStride = (long)WinogradTransforms.Points * job.Filters * job.Channels;
        // The phase rows of one channel's rows for a whole block (4 per tile row and 2 more), then a line for the portable split.
        job.PlaneRows = WinogradPhaseRows.BufferRows(4 * job.RowsPerBlock + 2);
        job.PerWorker = (long)WinogradTransforms.Points * (job.Channels + job.Filters) * job.Ld + (4L * job.PlaneRows + 4) * job.Stride;
        int width = Math.Max(1, Math.Min(WorkerPool.Width, job.Parts));
        CpuStorage block = workspace.Rent<float>(job.Parts * job.PartStride + width * job.PerWorker);
        try
        {
            job.Sums = (float*)block.Pointer;
            job.Scratch = job.Sums + job.Parts * job.PartStride;
            switch (job.Bits)
            {
                case 512: WorkerPool.For(job.Parts, width, &Part<Simd512, Vector512<float>>, &job); break;
                case 256: WorkerPool.For(job.Parts, width, &Part<Simd256, Vector256<float>>, &job); break;
                default: WorkerPool.For(job.Parts, width, &Part<Simd128, Vector128<float>>, &job); break;
            }
            job.Folds = Math.Max(1, Math.Min(WorkerPool.Width, job.Filters));
            WorkerPool.For(job.Folds, job.Folds, &Fold, &job);
        }
        finally
        {
            workspace.Return(block);
        }
    }

    /// <summary>Depth of a block's products: its tiles rounded up to whole 8-step transposes of the packing (the extra steps are zeros).</summary>
    private static int Depth(int tiles) => (tiles + 7) & ~7;

    /// <summary>Blocks of one range, in order, each adding its 36 products into the range's S (the first block overwrites it).</summary>
    private static void Part<TS, TV>(void* state, int part, int worker)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        ref Job job = ref *(Job*)state;
        int first = (int)((long)job.Blocks * part / job.Parts), end = (int)((long)job.Blocks * (part + 1) / job.Parts);
        float* sums = job.Sums + part * job.PartStride;
        float* scratch = job.Scratch + worker * job.PerWorker;
        for (int b = first; b < end; b++)
        {
            Block<TS, TV>(ref job, b, scratch, sums, b > first);
        }
    }

    /// <summary>One block of tile rows: both transforms for every tile, then S[ξ] (+)= dY'[ξ]·V[ξ]ᵀ.</summary>
    private static void Block<TS, TV>(ref Job job, int index, float* scratch, float* sums, bool accumulate)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int tw = job.TilesWide, th = job.TilesHigh, ld = job.Ld, stride = job.Stride;
        long tileRows = (long)job.Batch * th, firstRow = (long)index * job.RowsPerBlock;
        int rows = (int)Math.Min(job.RowsPerBlock, tileRows - firstRow), tiles = rows * tw, depth = Depth(tiles);
        long vPlane = (long)job.Channels * ld, dPlane = (long)job.Filters * ld;
        float* v = scratch;
        float* d = v + WinogradTransforms.Points * vPlane;
        float* phases = d + WinogradTransforms.Points * dPlane;
        float* line = phases + 4L * job.PlaneRows * stride;
        bool permute = Avx512F.IsSupported && WinogradConvolution.Bits is 0 or 512;
        // Phase rows past a row's tiles may hold stale values: they only reach lanes past the tiles,
        // which the next tile row overwrites or the clearing below zeroes before any product reads them.
        long inPlane = (long)job.InHeight * job.InWidth, outPlane = (long)job.OutHeight * job.OutWidth;
        for (int r = 0; r < rows;)
        {
            // The block's tile rows of one sample: each input and gradient row is split once for all of them.
            long row = firstRow + r;
            int n = (int)(row / th), ty = (int)(row % th), run = Math.Min(rows - r, th - ty);
            for (int c = 0; c < job.Channels; c++)
            {
                WinogradPhaseRows.Split(job.X + ((long)n * job.Channels + c) * inPlane, job.InHeight, job.InWidth,
                    4 * ty - job.PadTop, 4 * run + 2, job.PadLeft, tw + 1, phases, stride, line, permute);
                for (int i = 0; i < run; i++)
                {
                    WinogradTransforms.Input<TS, TV>(phases + 16L * i * stride, stride, tw, v + c * ld + (r + i) * tw, vPlane);
                }
            }
            for (int k = 0; k < job.Filters; k++)
            {
                // Rows past the output and tiles past its right edge split as zeros: a cut tile's gradient is zero-padded.
                WinogradPhaseRows.Split(job.Dy + ((long)n * job.Filters + k) * outPlane, job.OutHeight, job.OutWidth,
                    4 * ty, 4 * run, 0, tw, phases, stride, line, permute);
                for (int i = 0; i < run; i++)
                {
                    WinogradGradientTransforms.OutputGradient<TS, TV>(phases + 16L * i * stride, stride, tw, d + k * ld + (r + i) * tw, dPlane);
                }
            }
            r += run;
        }
        // The depth's steps past the tiles multiply zeros, never the transforms' spill or stale values.
        // (Eight zeros a row, one store: depth − tiles < 8 and the rows have 16 floats of slack.)
        if (depth > tiles)
        {
            for (long i = 0; i < WinogradTransforms.Points * (long)(job.Channels + job.Filters); i++)
            {
                Vector256<float>.Zero.Store(v + i * ld + tiles);
            }
        }
        long plane = (long)job.Filters * job.Channels;
        for (int xi = 0; xi < WinogradTransforms.Points; xi++)
        {
            Multiply(job.Filters, job.Channels, depth, d + xi * dPlane, v + xi * vPlane, ld, accumulate, sums + xi * plane);
        }
    }

    /// <summary>S (filters × channels) (+)= dY' (filters × depth, row stride ld) · Vᵀ (V: channels × depth, row stride ld).</summary>
    private static void Multiply(int filters, int channels, int depth, float* gradient, float* v, int ld, bool accumulate, float* s)
    {
        if (PackedGemm.Takes(filters, channels, depth))
        {
            PackedGemm.Multiply(filters, channels, depth, gradient, ld, 1, v, 1, ld, accumulate, s, channels);
            return;
        }
        GemmKernel.Block(false, true, filters, channels, depth, gradient, ld, v, ld, accumulate, s, channels);
    }

    /// <summary>dw of one range of filters: the ranges' S summed and folded back to 3×3.</summary>
    private static void Fold(void* state, int part, int worker)
    {
        ref Job job = ref *(Job*)state;
        int first = (int)((long)job.Filters * part / job.Folds), end = (int)((long)job.Filters * (part + 1) / job.Folds);
        WinogradGradientTransforms.FilterGradient(job.Sums, job.Parts, job.PartStride, job.Filters, job.Channels, job.Dw, first, end);
    }
}
