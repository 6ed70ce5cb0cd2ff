using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// FP32 3×3 stride-1 convolution by Winograd's F(4×4, 3×3) (<see cref="WinogradTransforms"/>): each
/// 4×4 output tile costs 36 multiplies per channel pair instead of 144, so the ResNet-size layers do a
/// quarter of im2col's multiply-adds. Forward, and backward data as the forward convolution of dy
/// with the filters turned by 180° and their channel axes swapped (padding 2 − p).
/// </summary>
/// <remarks>
/// <para>The output tiles of the batch, taken as tile rows of all samples one after another, are cut
/// into blocks of about <see cref="TileTarget"/> tiles. Per block: the input patches of every channel
/// are transformed into V (36 matrices channels × tiles), the 36 products M[ξ] = U[ξ]·V[ξ] with the
/// transformed filters U run on the packed GEMM, and M is transformed back into the output. Blocks
/// are independent and each is computed the same way on whichever thread takes it, so the result
/// does not depend on the thread count.</para>
/// <para>Rounding differs from the direct sum (the transforms mix values of different size): the
/// relative error against a double-precision reference is a few 1e-6 to 1e-5 on random data (see
/// WinogradConvolutionTests), where im2col's is about 1e-7.</para>
/// </remarks>
internal static unsafe class WinogradConvolution
{
    /// <summary>Whether the layer-size rule decides (null), or Winograd is forced on (true) or off (false): <c>ENGINE_WINOGRAD=on|off</c>.</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both paths in one process.</remarks>
    public static bool? Forced { get; internal set; } = ParseSetting(Environment.GetEnvironmentVariable("ENGINE_WINOGRAD"));

    /// <summary>
    /// Whether the transformed filters are kept packed in the GEMM's panel layout (<see cref="PackedGemm.PackWholeA"/>) between
    /// calls instead of as plain matrices that every product packs again (36·K·C floats a block): <c>ENGINE_WINOGRAD_PREPACK=on|off</c>,
    /// default on. The kernel reads the same floats in the same order: the same bits.
    /// </summary>
    public static bool Prepack { get; internal set; } = ParseSetting(Environment.GetEnvironmentVariable("ENGINE_WINOGRAD_PREPACK")) ?? true;

    /// <summary>
    /// Whether forward of the deep layers on small planes (at least <see cref="DeepChannels"/> channels in and out, 7×7 to 23×23
    /// outputs: ResNet-18's 256×14×14 and 512×7×7) runs here: <c>ENGINE_WINOGRAD_DEEP=on|off</c>, default on. Tiles padded to
    /// 4×4 waste a quarter of the positions there (16×16 for 14×14, 8×8 for 7×7), but a quarter of the multiplies
    /// still leaves a third of the direct products' work, and with hundreds of channels the transforms are small against it.
    /// </summary>
    public static bool Deep { get; internal set; } = ParseSetting(Environment.GetEnvironmentVariable("ENGINE_WINOGRAD_DEEP")) ?? true;

    /// <summary>Channels in and out from which <see cref="Deep"/> takes a small-plane layer.</summary>
    internal const int DeepChannels = 256;

    /// <summary>Whether <see cref="Deep"/>'s rule sends forward of <paramref name="l"/> here (not forced either way).</summary>
    internal static bool TakesDeep(in ConvolutionLayout l) =>
        Deep && Forced == null && Fits(l) && l.Channels >= DeepChannels && l.Filters >= DeepChannels
        && l.Height.Output >= 7 && l.Width.Output >= 7 && (l.Height.Output < 24 || l.Width.Output < 24);

    /// <summary>
    /// Tiles per block, the width of the 36 products: 0 sizes blocks so that V and M (36·(C + K) floats
    /// per tile) take about <see cref="BlockFloats"/>, at most <see cref="MostTiles"/>; <c>ENGINE_WINOGRAD_TILES</c> sets it for measurements.
    /// </summary>
    public static int TileTarget { get; internal set; } = int.TryParse(Environment.GetEnvironmentVariable("ENGINE_WINOGRAD_TILES"), out int t) && t > 0 ? t : 0;

    /// <summary>
    /// Floats of V and M per block by default: 1.25 MB, most of one core's 2 MB second-level cache, so
    /// the transforms and the products pass them through it rather than the shared third level
    /// (blocks of 126 tiles on (32,64,56,56) spilled and ran slower than im2col).
    /// </summary>
    private const int BlockFloats = 320 * 1024;

    /// <summary>
    /// The most tiles a block aims for by default. VGG-CIFAR's (128,32,32,32)→32 (142 tiles by <see cref="BlockFloats"/>) ran
    /// forward and backward data 15–17 % faster at two threads and 4–5 % at one with 64 (<c>Engine.Bench.Kernels
    /// --quick-train-convs 9 2 "vgg 32->32"</c> under <c>ENGINE_WINOGRAD_TILES=64</c>, 2026-11-29: 9.2 / 9.0 against 10.9 / 10.9 ms);
    /// a machine with a 1 MB second-level cache (this one) holds a 142-tile block's V and M no better than the third level does.
    /// ResNet-18's 64-channel 56×56 layers (71 tiles) are about the same either way, its 128-channel ones (35) are not affected.
    /// </summary>
    private const int MostTiles = 64;

    /// <summary>
    /// Tile rows per block: about the target number of tiles, preferring counts that fill whole 32-column
    /// slivers of the packed GEMM (70 tiles use 3 slivers, a third of them nearly empty; 84 use 3 fully).
    /// </summary>
    internal static int RowsPerBlock(int tilesWide, long tileRows, int inputs, int outputs)
    {
        int target = TileTarget > 0 ? TileTarget : Math.Clamp(BlockFloats / (WinogradTransforms.Points * (inputs + outputs)), 16, MostTiles);
        int most = (int)Math.Min(tileRows, Math.Max(1, 3 * target / 2 / tilesWide));
        int best = 1;
        double bestScore = -1;
        for (int rows = 1; rows <= most; rows++)
        {
            int tiles = rows * tilesWide;
            double score = tiles / (32.0 * ((tiles + 31) / 32)) * Math.Min(1.0, (double)tiles / target);
            if (score > bestScore)
            {
                (best, bestScore) = (rows, score);
            }
        }
        return best;
    }

    /// <summary>Vector width of the transforms: 0 chooses by CPU and tile-row length; 128, 256 or 512 force one (tests).</summary>
    internal static int Bits { get; set; }

    internal static bool? ParseSetting(string? setting) => setting?.Trim().ToLowerInvariant() switch
    {
        "on" or "1" or "true" => true,
        "off" or "0" or "false" => false,
        _ => null,
    };

    /// <summary>Whether this backend runs <paramref name="pass"/> of the layout by Winograd.</summary>
    public static bool Applies<T>(in ConvolutionLayout l, ConvolutionPass pass) where T : unmanaged
    {
        if (typeof(T) != typeof(float) || pass == ConvolutionPass.BackwardFilter || Forced == false || !Fits(l))
        {
            return false;
        }
        return Forced == true || (pass == ConvolutionPass.Forward && TakesDeep(l))
            || (Worthwhile(l) && (pass != ConvolutionPass.Forward || ForwardWorthwhile(l)));
    }

    /// <summary>What the kernel can do: one group, 2-D, 3×3, stride 1, no dilation, padding at most 2 (backward data pads by 2 − p).</summary>
    internal static bool Fits(in ConvolutionLayout l) =>
        l.Groups == 1 && l.Depth.Kernel == 1 && l.Depth.Input == 1 && l.Depth.Output == 1 && AxisFits(l.Height) && AxisFits(l.Width);

    private static bool AxisFits(ConvolutionAxis a) => a.Kernel == 3 && a.Stride == 1 && a.Dilation == 1 && a.Pad is >= 0 and <= 2 && a.Output > 0;

    /// <summary>
    /// The size rule, from <c>Engine.Bench.Kernels --quick-winograd</c> (one thread, against im2col + the
    /// packed GEMM): (32,64,56,56)→64 and (16,128,28,28)→128 ran forward and backward data 1.4–1.6×
    /// faster, (32,16,32,32)→16 about even forward and 1.4× backward data, (32,64,8,8)→64 1.2–1.4×
    /// slower (2×2 tiles a plane: the transforms and the tile padding outweigh the saved products).
    /// </summary>
    internal static bool Worthwhile(in ConvolutionLayout l) =>
        l.Channels >= 16 && l.Filters >= 16 && l.Height.Output >= 16 && l.Width.Output >= 16;

    /// <summary>
    /// Forward only pays from 32 channels in and out on planes of at least 24×24 (<c>Engine.Bench.Kernels
    /// --quick-infer</c>, one thread, with the batch-norm + ReLU epilogue): im2col was 1.2–1.4× faster on
    /// CIFAR ResNet-20's 16-channel 32×32 and 32-channel 16×16 layers and VGG-CIFAR's 64-channel 16×16 ones,
    /// Winograd 1.2× faster on VGG-CIFAR's (128,32,32,32)→32 and 1.3–1.6× on ResNet-18's 56×56 and 28×28.
    /// </summary>
    private static bool ForwardWorthwhile(in ConvolutionLayout l) =>
        l.Channels >= 32 && l.Filters >= 32 && l.Height.Output >= 24 && l.Width.Output >= 24;

    /// <summary>
    /// Whether forward of <paramref name="l"/> is left to Winograd by the direct kernels' rules (<see cref="PaddedDirectConvolution.Worthwhile"/>,
    /// which the row × filter tile follows): the layers of its forward rule, unless Winograd is switched off. VGG-CIFAR's
    /// (128,32,32,32)→32 ran 15.8–16.2 ms by Winograd against 22.2 by the row × filter tile without an epilogue (training) and
    /// 17.5–17.8 against 22.2–22.4 with batch norm + ReLU (inference); at two threads 18.7–24.3 against 24.4–32.6 and 18.9–34.3
    /// against 28.8–48.5 (<c>Engine.Bench.Kernels --quick-train-convs</c>, least of 15 and 9 calls, benchmarks/NOTES.md).
    /// </summary>
    internal static bool TakesWideForward(in ConvolutionLayout l) => Forced != false && Fits(l) && ForwardWorthwhile(l);

    /// <summary>y = conv(x, w) for a layout that <see cref="Fits"/>.</summary>
    /// <remarks>
    /// The transformed filters come from <paramref name="filterStorage"/>'s cache while w is unchanged (<see cref="DerivedFilters"/>).
    /// With <see cref="ColumnSlices.EpiloguePerSlice"/> (<c>ENGINE_SLICE_EPILOGUE</c>, default on) the epilogue is applied
    /// to each filter's output rows of a tile row right after the output transform writes them (still in the first-level
    /// cache); off, to the whole batch after the last block. The same function per element, so the same bits.
    /// </remarks>
    public static void Forward(in ConvolutionLayout l, float* x, float* w, float* y, ConvolutionWorkspace workspace, in ConvolutionEpilogue epilogue = default, CpuStorage? filterStorage = null)
    {
        var p = new Problem(l.Batch, l.Channels, l.Filters, l.Height.Input, l.Width.Input, l.Height.Output, l.Width.Output, l.Height.Pad, l.Width.Pad);
        bool inBlocks = ColumnSlices.EpiloguePerSlice;
        Run(p, x, w, false, y, workspace, filterStorage, inBlocks ? epilogue : default);
        if (!inBlocks)
        {
            epilogue.ApplyToBatch(y, l.Batch, l.Filters, l.OutputSize);
        }
    }

    /// <summary>dx from dy and w for a layout that <see cref="Fits"/> (dx is overwritten).</summary>
    public static void BackwardData(in ConvolutionLayout l, float* dy, float* w, float* dx, ConvolutionWorkspace workspace)
    {
        var p = new Problem(l.Batch, l.Filters, l.Channels, l.Height.Output, l.Width.Output, l.Height.Input, l.Width.Input, 2 - l.Height.Pad, 2 - l.Width.Pad);
        Run(p, dy, w, true, dx, workspace);
    }

    /// <summary>A forward 3×3 stride-1 convolution as this kernel sees it (backward data is one too).</summary>
    private readonly record struct Problem(int Batch, int Inputs, int Outputs, int InHeight, int InWidth, int OutHeight, int OutWidth, int PadTop, int PadLeft)
    {
        public int TilesHigh => (OutHeight + 3) / 4;

        public int TilesWide => (OutWidth + 3) / 4;
    }

    private static void Run(in Problem p, float* x, float* w, bool rotated, float* y, ConvolutionWorkspace workspace, CpuStorage? filterStorage = null, in ConvolutionEpilogue epilogue = default)
    {
        int bits = Bits != 0 ? Bits
            : Vector512.IsHardwareAccelerated && p.TilesWide > 8 ? 512
            : Vector256.IsHardwareAccelerated ? 256
            : 128;
        switch (bits)
        {
            case 512: Run<Simd512, Vector512<float>>(p, x, w, rotated, y, workspace, filterStorage, epilogue); break;
            case 256: Run<Simd256, Vector256<float>>(p, x, w, rotated, y, workspace, filterStorage, epilogue); break;
            default: Run<Simd128, Vector128<float>>(p, x, w, rotated, y, workspace, filterStorage, epilogue); break;
        }
    }

    /// <summary>Slack after each row of V and M and after each phase row: whole vectors of the last tiles spill into it.</summary>
    private const int Slack = 16;

    private static void Run<TS, TV>(in Problem p, float* x, float* w, bool rotated, float* y, ConvolutionWorkspace workspace, CpuStorage? filterStorage, in ConvolutionEpilogue epilogue)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        int tw = p.TilesWide;
        long tileRows = (long)p.Batch * p.TilesHigh;
        int rowsPerBlock = RowsPerBlock(tw, tileRows, p.Inputs, p.Outputs);
        // One product kernel for every block, chosen from the block size the layout alone sets (never the thread count):
        // the packed GEMM's bits do not depend on the number of columns, so blocks sized below change nothing.
        bool packedGemm = PackedGemm.Takes(p.Outputs, Columns(rowsPerBlock * tw), p.Inputs);
        if (packedGemm && p.Inputs >= DeepChannels && p.Outputs >= DeepChannels)
        {
            rowsPerBlock = DeepRowsPerBlock(tw, tileRows);
        }
        int blocks = (int)((tileRows + rowsPerBlock - 1) / rowsPerBlock);
        int ld = Columns(rowsPerBlock * tw) + Slack;
        int stride = (tw + 1 + Slack + 15) & ~15;
        long transformed = (long)WinogradTransforms.Points * p.Outputs * p.Inputs;
        long perWorker = (long)WinogradTransforms.Points * (p.Inputs + p.Outputs) * ld + 44L * stride;
        int width = Math.Max(1, Math.Min(WorkerPool.Width, blocks));
        CpuStorage block = workspace.Rent<float>(transformed + width * perWorker);
        try
        {
            float* scratch = (float*)block.Pointer, u = scratch, packedU = null;
            // The transformed filters from the cache while w is unchanged (DerivedFilters), else transformed here; with
            // Prepack, kept (from the call that keeps them) already packed for the GEMM.
            long detail = 2L * p.Outputs + (rotated ? 1 : 0);
            bool prepack = Prepack && packedGemm;
            long packedFloats = WinogradTransforms.Points * PackedGemm.WholeAFloats(p.Outputs, p.Inputs);
            var key = prepack
                ? new DerivedFilters.Key(DerivedFilters.WinogradPacked, packedFloats, detail * 1024 + PackedGemm.Bits)
                : new DerivedFilters.Key(DerivedFilters.WinogradForward, transformed, detail);
            long version = DerivedFilters.VersionOf(filterStorage);
            if (DerivedFilters.Find(filterStorage, key) is var cached && cached is not null)
            {
                if (prepack)
                {
                    packedU = cached;
                }
                else
                {
                    u = cached;
                }
            }
            else
            {
                var filterJob = new FilterJob { W = w, U = u, Filters = rotated ? p.Inputs : p.Outputs, Channels = rotated ? p.Outputs : p.Inputs, Rotated = rotated, Outputs = p.Outputs, Parts = width };
                WorkerPool.For(width, width, &FilterPart, &filterJob);
                if (prepack)
                {
                    var pack = new PackJob { U = u, Outputs = p.Outputs, Inputs = p.Inputs };
                    DerivedFilters.Keep(filterStorage, version, key, &PackFilters, &pack);
                }
                else
                {
                    DerivedFilters.Keep(filterStorage, version, key, u);
                }
            }
            var job = new Job
            {
                Problem = p,
                X = x,
                U = u,
                PackedU = packedU,
                PackedGemm = packedGemm,
                Y = y,
                Scratch = scratch + transformed,
                PerWorker = perWorker,
                RowsPerBlock = rowsPerBlock,
                TileRows = tileRows,
                Ld = ld,
                Stride = stride,
                Epilogue = epilogue,
            };
            WorkerPool.For(blocks, width, &Block<TS, TV>, &job);
        }
        finally
        {
            workspace.Return(block);
        }
    }

    /// <summary>
    /// Tile rows per block of the deep layers (<see cref="DeepChannels"/> or more in and out): the 36 products stream all
    /// of U (36·K·C floats, 9–38 MB on ResNet-18's 256- and 512-channel layers) once per block, so blocks are as wide as
    /// <see cref="DeepTiles"/> tiles or one per worker, whichever is wider. The packed GEMM's bits do not depend on the width.
    /// </summary>
    internal static int DeepRowsPerBlock(int tilesWide, long tileRows)
    {
        long tiles = tileRows * tilesWide;
        long blocks = Math.Max(1, Math.Min(tileRows, Math.Max(WorkerPool.Width, (tiles + DeepTiles - 1) / DeepTiles)));
        return (int)((tileRows + blocks - 1) / blocks);
    }

    /// <summary>Tiles a deep layer's block aims for (<c>ENGINE_WINOGRAD_DEEP_TILES</c> for measurements; default 64).</summary>
    internal static int DeepTiles { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("ENGINE_WINOGRAD_DEEP_TILES"), out int d) && d > 0 ? d : 64;

    /// <summary>What <see cref="PackFilters"/> packs: the 36 transformed filter matrices.</summary>
    private struct PackJob
    {
        public float* U;
        public int Outputs, Inputs;
    }

    /// <summary>The 36 matrices U[ξ] (outputs × inputs) one after another in <see cref="PackedGemm.PackWholeA"/>'s layout.</summary>
    private static void PackFilters(void* state, float* packed, long floats)
    {
        ref PackJob job = ref *(PackJob*)state;
        long plane = (long)job.Outputs * job.Inputs, packedPlane = PackedGemm.WholeAFloats(job.Outputs, job.Inputs);
        for (int xi = 0; xi < WinogradTransforms.Points; xi++)
        {
            PackedGemm.PackWholeA(job.Outputs, job.Inputs, job.U + xi * plane, job.Inputs, 1, packed + xi * packedPlane);
        }
    }

    /// <summary>The filter transform, cut into one range of output channels per worker.</summary>
    private struct FilterJob
    {
        public float* W, U;
        public int Filters, Channels, Outputs, Parts;
        public bool Rotated;
    }

    private static void FilterPart(void* state, int part, int worker)
    {
        ref FilterJob job = ref *(FilterJob*)state;
        int first = (int)((long)job.Outputs * part / job.Parts), end = (int)((long)job.Outputs * (part + 1) / job.Parts);
        WinogradTransforms.Filters(job.W, job.Filters, job.Channels, job.Rotated, job.U, first, end);
    }

    /// <summary>What the block bodies read: the problem, operands, transformed filters and per-worker scratch.</summary>
    private struct Job
    {
        public Problem Problem;
        public float* X, U, PackedU, Y, Scratch; // U null when PackedU (PackedGemm.PackWholeA's layout per ξ) is given
        public long PerWorker, TileRows;
        public int RowsPerBlock, Ld, Stride;
        public bool PackedGemm; // the packed GEMM for every block's products, else GemmKernel
        public ConvolutionEpilogue Epilogue; // forward: applied to each tile row's outputs right after they are written
    }

    /// <summary>One block of tile rows: input transform, 36 products, output transform.</summary>
    private static void Block<TS, TV>(void* state, int index, int worker)
        where TS : struct, ISimdFloat<TV> where TV : struct
    {
        ref Job job = ref *(Job*)state;
        ref readonly Problem p = ref job.Problem;
        int tw = p.TilesWide, th = p.TilesHigh, ld = job.Ld, stride = job.Stride;
        long first = (long)index * job.RowsPerBlock;
        int rows = (int)Math.Min(job.RowsPerBlock, job.TileRows - first), tiles = rows * tw, columns = Columns(tiles);
        long vPlane = (long)p.Inputs * ld, mPlane = (long)p.Outputs * ld;
        float* v = job.Scratch + worker * job.PerWorker;
        float* m = v + WinogradTransforms.Points * vPlane;
        float* phases = m + WinogradTransforms.Points * mPlane;
        float* outputPhases = phases + 24 * stride;
        float* line = outputPhases + 16 * stride;
        bool permute = Avx512F.IsSupported && Bits is 0 or 512;
        // Vector loads past the last tile read the phase rows' tails: keep them zeros, never stale values.
        new Span<float>(phases, 24 * stride).Clear();
        long inPlane = (long)p.InHeight * p.InWidth, outPlane = (long)p.OutHeight * p.OutWidth;
        for (int r = 0; r < rows; r++)
        {
            long row = first + r;
            int n = (int)(row / th), ty = (int)(row % th);
            for (int c = 0; c < p.Inputs; c++)
            {
                WinogradPhaseRows.Split(job.X + ((long)n * p.Inputs + c) * inPlane, p.InHeight, p.InWidth,
                    4 * ty - p.PadTop, 6, p.PadLeft, tw + 1, phases, stride, line, permute);
                WinogradTransforms.Input<TS, TV>(phases, stride, tw, v + c * ld + r * tw, vPlane);
            }
        }
        // Columns past the tiles (up to a whole sliver of the packed GEMM) are multiplied too: zeros,
        // never stale values of an earlier block.
        for (long i = 0; columns > tiles && i < WinogradTransforms.Points * (long)p.Inputs; i++)
        {
            new Span<float>(v + i * ld + tiles, columns - tiles).Clear();
        }
        long packedPlane = PackedGemm.WholeAFloats(p.Outputs, p.Inputs);
        for (int xi = 0; xi < WinogradTransforms.Points; xi++)
        {
            if (job.PackedU is not null)
            {
                PackedGemm.MultiplyPacked(p.Outputs, columns, p.Inputs, job.PackedU + xi * packedPlane, v + xi * vPlane, ld, 1, false, m + xi * mPlane, ld);
            }
            else
            {
                Multiply(job.PackedGemm, p.Outputs, columns, p.Inputs, job.U + xi * (long)p.Outputs * p.Inputs, v + xi * vPlane, ld, m + xi * mPlane);
            }
        }
        // The output transform of the last tile row reads a vector past the block's tiles: zeros there.
        for (long i = 0; i < WinogradTransforms.Points * (long)p.Outputs; i++)
        {
            new Span<float>(m + i * ld + columns, Slack).Clear();
        }
        for (int r = 0; r < rows; r++)
        {
            long row = first + r;
            int n = (int)(row / th), ty = (int)(row % th);
            for (int k = 0; k < p.Outputs; k++)
            {
                WinogradTransforms.Output<TS, TV>(m + k * ld + r * tw, mPlane, tw, outputPhases, stride);
                float* plane = job.Y + ((long)n * p.Outputs + k) * outPlane;
                WinogradPhaseRows.Join(outputPhases, stride, plane, p.OutHeight, p.OutWidth, 4 * ty, line, permute);
                job.Epilogue.ApplyPart(plane + (long)4 * ty * p.OutWidth, k, Math.Min(4, p.OutHeight - 4 * ty) * p.OutWidth);
            }
        }
    }

    /// <summary>
    /// Columns of the products for a block of <paramref name="tiles"/> tiles: rounded up to whole 32-column
    /// slivers where the packed GEMM runs them (a cut sliver goes through a scalar copy of its C tile,
    /// which cost more than multiplying the padding).
    /// </summary>
    private static int Columns(int tiles) => PackedGemm.Bits == 512 ? (tiles + 31) & ~31 : tiles;

    /// <summary>M (outputs × tiles, row stride ld) = U (outputs × inputs) · V (inputs × tiles, row stride ld), on the packed GEMM or GemmKernel.</summary>
    private static void Multiply(bool packed, int outputs, int tiles, int inputs, float* u, float* v, int ld, float* m)
    {
        if (packed)
        {
            PackedGemm.Multiply(outputs, tiles, inputs, u, inputs, 1, v, ld, 1, false, m, ld);
            return;
        }
        GemmKernel.Block(false, false, outputs, tiles, inputs, u, inputs, v, ld, false, m, ld);
    }
}
