using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Forward of 3×3 stride-1 and stride-2 float32 convolutions of up to 128 channels and filters with 8×8 to
/// 32×32 outputs (CIFAR ResNet-20's and VGG-CIFAR's), on AVX-512, without a column matrix. Per sample the
/// input is copied into three zero-padded, column-shifted copies (copy kx: padded rows, column x holding
/// padded column x + kx, the output's width; stride 2: nine output-sized copies, one per tap, or six where tap rows 0
/// and 2 share one, see <see cref="CopyStridedRows"/>), so the taps
/// of 16 consecutive output positions are 16 consecutive floats even across rows: each tap of each output
/// vector is one unmasked load at a fixed offset. Where output rows are whole vectors (16- and 32-wide planes, padding 1)
/// one zero-padded copy read at offsets −1, 0, +1 replaces the three (<see cref="UsesOneCopy"/>). A
/// register tile of four filters × four vectors of 16 positions (16 accumulators) runs over the C·9 taps,
/// each tap loading four input vectors and broadcasting four weights. The inference epilogue (batch
/// norm or bias, then ReLU) is applied to the accumulators before the one store; a residual block's shortcut
/// (<see cref="ConvolutionEpilogue.HasResidual"/>) is added, and the ReLU applied after it, in one pass over each
/// sample's output right after it is computed.
/// </summary>
/// <remarks>
/// <para>Why: on these layers im2col + the packed GEMM ran at 57–137 GF/s on one thread (products only
/// 16–128 rows high, so writing the 9× column matrix, packing it and reloading C at every 128-deep step
/// cost as much as the multiply-adds); this path writes three copies of the input and the output, and ran
/// at 130–180 GF/s (benchmarks/NOTES.md).</para>
/// <para>Each output is the chain of fused multiply-adds over the column-matrix rows (channel, tap row,
/// tap column) in order, started from 0, with the padding's zeros multiplied as im2col's are: the chain
/// of the packed GEMM (<see cref="PackedGemm"/>), so the result is bit for bit im2col's on that kernel,
/// at any thread count (PaddedDirectConvolutionTests). A plane whose size is not a multiple of 16 ends in
/// a partial vector whose extra lanes are computed and not stored. <c>ENGINE_PADDED_DIRECT=on|off</c>: on
/// forces it wherever it fits, off never; forcing Winograd or the batched path on leaves those layers to them.</para>
/// </remarks>
internal static unsafe partial class PaddedDirectConvolution
{
    /// <summary>Whether the size rule decides (null), or the path is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both paths in one process.</remarks>
    public static bool? Forced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_PADDED_DIRECT"));

    /// <summary>Filters and vectors of the register tile.</summary>
    private const int Filters = 4, Vectors = 4;

    /// <summary>Floats past the last padded plane: the partial vectors' unused lanes and the tile's repeated vectors may read that far.</summary>
    private const int Slack = 64;

    /// <summary>Whether forward of <paramref name="l"/> runs here: what the kernel can do, and (unless forced on) the size rule.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        Forced != false && Fits<T>(l)
        && (Forced == true || FilterBlockConvolution.Forced == true
            || (WinogradConvolution.Forced != true && BatchedConvolution.Forced != true
                && (Worthwhile(l) || (FilterBlockConvolution.Forced == null && FilterBlockConvolution.Worthwhile(l)))));

    /// <summary>
    /// What the kernel can do: float32 on AVX-512 where the packed GEMM is the reference (same bits), one
    /// group, 2-D, 3×3, stride 1 or 2 (the same on both axes), no dilation, padding at most 2.
    /// </summary>
    internal static bool Fits<T>(in ConvolutionLayout l) where T : unmanaged =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && PackedGemm.Bits == 512
        && l.Groups == 1 && l.Depth.Kernel == 1 && l.Depth.Input == 1 && l.Depth.Output == 1 && l.Batch > 0 && l.Channels > 0 && l.Filters > 0
        && l.Channels <= MaxChannels && AxisFits(l.Height) && AxisFits(l.Width) && l.Height.Stride == l.Width.Stride;

    /// <summary>The most channels: each column-matrix row's offset is listed on the stack (9 ints a channel).</summary>
    private const int MaxChannels = 1024;

    private static bool AxisFits(ConvolutionAxis a) => a.Kernel == 3 && a.Stride is 1 or 2 && a.Dilation == 1 && a.Pad is >= 0 and <= 2 && a.Output > 0;

    /// <summary>
    /// The size rule, from <c>Engine.Bench.Kernels --quick-infer</c> (one thread, with the batch-norm + ReLU
    /// epilogue, loaded machine): faster than every other path on CIFAR ResNet-20's and VGG-CIFAR's stride-1
    /// layers (16–128 channels, 8×8 to 32×32); slower than Winograd on ResNet-18's 56×56 and 28×28 (a sample's
    /// three copies outgrow the second-level cache) and than the batched product on its 256- and 512-channel
    /// 14×14 and 7×7 ones (a 7×7 plane also wastes a quarter of its lanes). First layers of 3 channels (RGB
    /// input, 27-row chains) are taken too: ResNet-20's (3,32,32)→16 ran 1.56 ms against 2.03 by
    /// <see cref="DirectConvolution"/> and VGG-CIFAR's →32 3.24 against 3.52, same bits (benchmarks/NOTES.md, "stem3");
    /// 4–15 channels were not measured and stay where they were. Stride-1 layers whose three copies of a sample outgrow the
    /// second-level cache (<see cref="CopiesFitCache"/>) are left to Winograd: ResNet-18's (128,28,28)→128
    /// (1.3 MB of copies) ran 1.5× slower here than by Winograd at one and two threads (benchmarks/NOTES.md,
    /// "convfwd"), and scaled worst from one thread to two, both workers streaming their copies from L3. Layers of 32 or more
    /// channels and filters on planes of 24 or more are left to Winograd too (<see cref="WinogradConvolution.TakesWideForward"/>:
    /// VGG-CIFAR's 32×32×32 → 32, 1.25–1.4× faster there than the row × filter tile, measured 2026-11-29).
    /// <c>ENGINE_PADDED_DIRECT_L2=off</c> (<see cref="CacheRule"/>) gives both back to this kernel.
    /// </summary>
    internal static bool Worthwhile(in ConvolutionLayout l) =>
        (l.Channels is 3 or (>= 16 and <= 128)) && l.Filters <= 128 && l.OutputSize is >= 64 and <= 1024
        && (l.Height.Stride == 2 || !CacheRule || (CopiesFitCache(l) && !WinogradConvolution.TakesWideForward(l)));

    /// <summary>Off (<c>ENGINE_PADDED_DIRECT_L2=off</c>): the size rule without <see cref="CopiesFitCache"/>, as before (settable for tests and benchmarks).</summary>
    internal static bool CacheRule { get; set; } = Environment.GetEnvironmentVariable("ENGINE_PADDED_DIRECT_L2") != "off";

    /// <summary>A second-level cache's size (1 MB per core on the AMD EPYC these rules were measured on; Intel server cores have 1–2 MB).</summary>
    private const long CacheBytes = 1 << 20;

    /// <summary>Whether a stride-1 sample's three column-shifted copies (padded rows × output width × channels, float32) fit in <see cref="CacheBytes"/>.</summary>
    internal static bool CopiesFitCache(in ConvolutionLayout l) =>
        3L * l.Channels * (l.Height.Input + 2 * l.Height.Pad) * l.Width.Output * sizeof(float) <= CacheBytes;

    /// <summary>
    /// y ← x ⋆ w for the whole batch, one sample per item of the <see cref="WorkerPool"/>. Returns whether
    /// <paramref name="epilogue"/> was applied in registers (ReLU or none: y = f(scale·acc + shift), the same
    /// FMA and max as <see cref="ChannelAffineKernels"/>, so the same bits); false: the caller applies it.
    /// </summary>
    public static bool Forward(in ConvolutionLayout l, float* x, float* w, float* y, ConvolutionWorkspace workspace, in ConvolutionEpilogue epilogue = default,
        CpuStorage? filterStorage = null)
    {
        bool inKernel = epilogue.IsSet && epilogue.Activation is null or Activation.Relu;
        // Stride 1: three copies (one per tap column) of the padded rows; stride 2: nine (one per tap) of the output's rows,
        // or six written row by row (CopyStridedRows: tap rows 0 and 2 share copies one row longer).
        bool strided = l.Height.Stride == 2, six = strided && CopiesStridedRows(l);
        // Filters in the vector (FilterBlockConvolution): the weights (and the epilogue's scales) repacked once, after the copies.
        bool blocks = FilterBlockConvolution.Chosen(l);
        // One padded copy (rows of whole vectors) for the position tile; FilterBlockConvolution reads the shifted copies.
        bool one = !blocks && UsesOneCopy(l);
        (int copies, int copyRows) = CopyShape(l);
        int outputWidth = l.Width.Output;
        long plane = (long)copyRows * outputWidth, shifted = one ? OneCopyFloats(l) : l.Channels * plane, padded = (one ? 1 : copies) * shifted + Slack;
        int width = Math.Max(1, Math.Min(WorkerPool.Width, l.Batch));
        int rows = l.ColumnRows;
        // Each column-matrix row's offset in the copies: copy kx, channel c, first row ky (stride 1); copy (ky, kx), channel c (stride 2);
        // six copies: copy (ky mod 2, kx), channel c, first row ky / 2.
        int* rowOffset = stackalloc int[rows];
        for (int c = 0, r = 0; c < l.Channels; c++)
        {
            for (int ky = 0; ky < 3; ky++)
            {
                for (int kx = 0; kx < 3; kx++, r++)
                {
                    rowOffset[r] = one ? OneCopyRowOffset(l, c, ky, kx) : checked((int)(six ? ((ky & 1) * 3 + kx) * shifted + c * plane + ky / 2 * outputWidth
                        : strided ? (ky * 3 + kx) * shifted + c * plane : kx * shifted + c * plane + ky * outputWidth));
                }
            }
        }
        // The position tile by chunks of channels parks its accumulators per worker between chunks (ChunkPlan).
        ChunkPlan chunks = blocks ? default : Chunks(l);
        long packedFloats = blocks ? FilterBlockConvolution.PackedFloats(l) : 0;
        long accumulators = blocks ? FilterBlockConvolution.AccumulatorFloats(l) : chunks.ParkFloats;
        // The 8 × 3 position tile: its weights repacked (eight filters' a row together) after everything else.
        bool wide = !blocks && Uses8x3(chunks);
        long wideFloats = wide ? WidePackedFloats(l) : 0;
        CpuStorage block = workspace.Rent<float>(width * (padded + accumulators) + packedFloats + wideFloats);
        try
        {
            float* scratch = (float*)block.Pointer;
            // The padding and the slack are zeroed once here; each sample then writes only what comes from x.
            new Span<float>(scratch, checked((int)(width * padded))).Clear();
            float* packed = blocks ? scratch + width * (padded + accumulators) : null, scales = null;
            float* widePacked = wide ? scratch + width * (padded + accumulators) + packedFloats : null;
            if (wide)
            {
                PackWide(l, w, widePacked);
            }
            if (blocks)
            {
                // The repacked weights from the cache while w is unchanged (DerivedFilters); the scales are packed every call.
                var key = new DerivedFilters.Key(DerivedFilters.FilterBlockPack, FilterBlockConvolution.WeightFloats(l), l.ColumnRows);
                long version = DerivedFilters.VersionOf(filterStorage);
                float* cached = DerivedFilters.Find(filterStorage, key);
                FilterBlockConvolution.Pack(l, cached is null ? w : null, inKernel ? (float*)epilogue.Scale : null, inKernel ? (float*)epilogue.Shift : null, packed);
                scales = FilterBlockConvolution.Scales(l, packed);
                if (cached is null)
                {
                    DerivedFilters.Keep(filterStorage, version, key, packed);
                }
                packed = cached is null ? packed : cached;
            }
            var job = new Job
            {
                Layout = l,
                X = x,
                W = w,
                Y = y,
                Padded = scratch,
                PerWorker = padded,
                Shifted = shifted,
                CopyRows = copyRows,
                RowStride = one ? OneCopyRowStride(l) : outputWidth,
                OneCopy = one,
                RowOffset = rowOffset,
                Packed = packed,
                Wide = widePacked,
                PackedScales = scales,
                Accumulators = accumulators,
                AccumulatorBase = scratch + width * padded,
                Chunk = FilterBlockConvolution.ChunkChannels(plane * copies),
                Tiles = chunks,
                Scale = inKernel ? (float*)epilogue.Scale : null,
                Shift = inKernel ? (float*)epilogue.Shift : null,
                Relu = inKernel && epilogue.Activation == Activation.Relu,
                Residual = inKernel ? epilogue.ResidualAt(y) : null,
            };
            WorkerPool.For(l.Batch, width, &Sample, &job);
        }
        finally
        {
            workspace.Return(block);
        }
        return inKernel;
    }

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, W, Y, Padded;
        public long PerWorker, Shifted;
        public int CopyRows;
        public int RowStride;       // floats from one output row's inputs to the next's: the output width, or the one copy's padded row
        public bool OneCopy;        // the sample in one padded copy (UsesOneCopy), not the shifted ones
        public int* RowOffset;
        public float* Scale, Shift; // the epilogue in registers, or null
        public float* Residual;     // the residual added before the ReLU (y's shape), or null
        public float* Packed;       // the weights for FilterBlockConvolution, or null: the position tile
        public float* Wide;         // the weights repacked for the 8 × 3 position tile, or null: the 4 × 4 one
        public float* PackedScales; // its scales and shifts
        public long Accumulators;   // floats of FilterBlockConvolution's per-worker accumulators,
        public float* AccumulatorBase; // which follow all workers' copies
        public int Chunk;           // its channels per chunk
        public ChunkPlan Tiles;     // the position tile's chunks of channels (none: all at once)
        public bool Relu;
    }

    private static void Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        float* padded = job.Padded + worker * job.PerWorker;
        float* xn = job.X + (long)n * l.Channels * l.InputSize;
        float* yn = job.Y + (long)n * l.Filters * l.OutputSize;
        float* rn = job.Residual is null ? null : job.Residual + (long)n * l.Filters * l.OutputSize;
        if (job.OneCopy)
        {
            CopyOne(l, xn, padded);
        }
        else
        {
            Copy(l, xn, padded, job.Shifted, job.CopyRows);
        }
        float* acc = job.AccumulatorBase + worker * job.Accumulators;
        if (job.Packed is not null)
        {
            FilterBlockConvolution.Sample(l, job.RowOffset, padded, job.Packed, job.PackedScales, acc, job.Chunk, yn, job.Scale is not null, job.Relu && rn is null);
        }
        else if (job.Wide is not null)
        {
            WideTiles(l, ref job, padded, yn, rn is null);
        }
        else if (job.Tiles.Channels > 0)
        {
            ChunkedPositionTiles(l, ref job, padded, acc, yn, rn is null);
        }
        else
        {
            PositionTiles(l, ref job, padded, yn, rn is null);
        }
        if (rn is not null)
        {
            AddResidual(yn, rn, (long)l.Filters * l.OutputSize, job.Relu);
        }
    }

    /// <summary>A sample's copies and the rows of each channel's plane in them: stride 1 three of the padded rows; stride 2 nine of the output's rows, or six of one row more (<see cref="CopyStridedRows"/>).</summary>
    internal static (int Copies, int Rows) CopyShape(in ConvolutionLayout l) =>
        l.Height.Stride != 2 ? (3, l.Height.Input + 2 * l.Height.Pad) : CopiesStridedRows(l) ? (6, l.Height.Output + 1) : (9, l.Height.Output);

    /// <summary>The sample <paramref name="x"/> into its copies (<see cref="CopyShape"/>) by the chosen way of writing them.</summary>
    internal static void Copy(in ConvolutionLayout l, float* x, float* padded, long shifted, int copyRows)
    {
        if (l.Height.Stride == 2)
        {
            if (CopiesStridedRows(l))
            {
                CopyStridedRows(l, x, padded, shifted, copyRows);
            }
            else
            {
                CopyStrided(l, x, padded, shifted);
            }
        }
        else if (CopiesPlanes(l))
        {
            CopyPlanes(l, x, padded, shifted, copyRows);
        }
        else
        {
            CopyShifted(l, x, padded, shifted, copyRows);
        }
    }

    /// <summary>One sample's output by tiles of four filters × four vectors of 16 positions.</summary>
    private static void PositionTiles(in ConvolutionLayout l, ref Job job, float* padded, float* yn, bool relu)
    {
        int rows = l.ColumnRows, positions = l.OutputSize, vectors = (positions + 15) / 16;
        for (int v0 = 0; v0 < vectors; v0 += Vectors)
        {
            Tile tile = TileAt(v0, vectors, positions, l.Width.Output, job.RowStride);
            for (int f = 0; f < l.Filters; f += Filters)
            {
                Block4x4(rows, rows, job.RowOffset, padded, job.W, f, l.Filters, tile, yn, positions, job.Scale, job.Shift, job.Relu && relu, null, resume: false, leave: false);
            }
        }
    }

    /// <summary>
    /// y ← f(y + r) over a sample's output just written (still in cache), f being ReLU or none: the residual
    /// sum and the activation after the in-register scale and shift, each rounded as the separate passes
    /// round them. Adding r inside the tile's stores instead (masked loads beside the masked stores) ran slower on
    /// ResNet-20's 16×16 and 32×32 layers in a first measurement (BenchmarkDotNet short run, loaded machine).
    /// </summary>
    private static void AddResidual(float* y, float* r, long count, bool relu)
    {
        long i = 0;
        for (; i + 16 <= count; i += 16)
        {
            Vector512<float> v = Vector512.Load(y + i) + Vector512.Load(r + i);
            (relu ? Vector512.Max(v, Vector512<float>.Zero) : v).Store(y + i);
        }
        for (; i < count; i++)
        {
            float v = y[i] + r[i];
            y[i] = relu ? MathF.Max(v, 0) : v;
        }
    }

    /// <summary>
    /// The sample into its three shifted copies: copy kx holds, per channel, the padded rows with column x
    /// being padded column x + kx (x over the output width), so the taps of 16 consecutive output positions
    /// are 16 consecutive floats even across rows. What falls in the padding stays zero.
    /// </summary>
    private static void CopyShifted(in ConvolutionLayout l, float* x, float* padded, long shifted, int paddedHeight)
    {
        int height = l.Height.Input, inputWidth = l.Width.Input, outputWidth = l.Width.Output, pad = l.Width.Pad;
        for (int kx = 0; kx < 3; kx++)
        {
            // Output columns [first, end) read input columns [first + kx − pad, end + kx − pad).
            int first = Math.Max(0, pad - kx), end = Math.Min(outputWidth, inputWidth + pad - kx);
            if (end <= first)
            {
                continue;
            }
            for (int c = 0; c < l.Channels; c++)
            {
                float* src = x + (long)c * height * inputWidth + first + kx - pad;
                float* dst = padded + kx * shifted + ((long)c * paddedHeight + l.Height.Pad) * outputWidth + first;
                for (int r = 0; r < height; r++)
                {
                    CopyRow(src + (long)r * inputWidth, dst + (long)r * outputWidth, end - first);
                }
            }
        }
    }

    /// <summary>
    /// Stride 2: the sample into nine copies, copy (ky, kx) holding per channel the output-sized plane of the
    /// inputs tap (ky, kx) reads (x[2·oy + ky − p, 2·ox + kx − p]), gathered 16 at a time from two masked
    /// loads by a two-vector permute. Rows and lanes in the padding stay zero.
    /// </summary>
    private static void CopyStrided(in ConvolutionLayout l, float* x, float* copies, long shifted)
    {
        int height = l.Height.Input, width = l.Width.Input, outputHeight = l.Height.Output, outputWidth = l.Width.Output;
        long plane = (long)outputHeight * outputWidth;
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), even = lane * 2;
        Vector512<int> inputWidth = Vector512.Create(width);
        for (int ky = 0; ky < 3; ky++)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                float* copy = copies + (ky * 3 + kx) * shifted;
                for (int ox = 0; ox < outputWidth; ox += 16)
                {
                    // Input columns start + 0..31 of which the even ones are wanted; those outside the row read as 0.
                    int start = 2 * ox + kx - l.Width.Pad;
                    Vector512<int> i0 = lane + Vector512.Create(start), i1 = i0 + Vector512.Create(16);
                    Vector512<float> m0 = (Vector512.GreaterThanOrEqual(i0, Vector512<int>.Zero) & Vector512.LessThan(i0, inputWidth)).AsSingle();
                    Vector512<float> m1 = (Vector512.GreaterThanOrEqual(i1, Vector512<int>.Zero) & Vector512.LessThan(i1, inputWidth)).AsSingle();
                    Vector512<float> store = Mask(outputWidth - ox);
                    for (int oy = 0; oy < outputHeight; oy++)
                    {
                        int iy = 2 * oy + ky - l.Height.Pad;
                        if (iy < 0 || iy >= height)
                        {
                            continue;
                        }
                        for (int c = 0; c < l.Channels; c++)
                        {
                            float* src = x + ((long)c * height + iy) * width + start;
                            Vector512<float> lower = Avx512F.MaskLoad(src, m0, Vector512<float>.Zero), upper = Avx512F.MaskLoad(src + 16, m1, Vector512<float>.Zero);
                            Avx512F.MaskStore(copy + c * plane + (long)oy * outputWidth + ox, store, Avx512F.PermuteVar16x32x2(lower, even, upper));
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* src, float* dst, int count)
    {
        int i = 0;
        for (; i + 16 <= count; i += 16)
        {
            Vector512.Load(src + i).Store(dst + i);
        }
        if (i < count)
        {
            Vector512<float> mask = Mask(count - i);
            Avx512F.MaskStore(dst + i, mask, Avx512F.MaskLoad(src + i, mask, Vector512<float>.Zero));
        }
    }

    /// <summary>The first <paramref name="lanes"/> lanes (all 16 from 16 on).</summary>
    private static Vector512<float> Mask(int lanes) =>
        Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(lanes)).AsSingle();

    /// <summary>
    /// The tile of vectors <paramref name="v0"/>…+3 of a plane of <paramref name="vectors"/>: a last tile with fewer
    /// vectors repeats its last one (the same values are stored twice); the plane's last vector stores only the positions it has.
    /// </summary>
    /// <remarks>
    /// Each vector reads its taps from <see cref="Tile.In0"/>…: its first position in the shifted copies (<paramref name="rowStride"/> =
    /// <paramref name="width"/>), or row · <paramref name="rowStride"/> + column in the one copy (rows of whole vectors there).
    /// </remarks>
    private static Tile TileAt(int v0, int vectors, int positions, int width, int rowStride)
    {
        int i1 = Math.Min(v0 + 1, vectors - 1), i2 = Math.Min(v0 + 2, vectors - 1), i3 = Math.Min(v0 + 3, vectors - 1);
        return new Tile(16 * v0, 16 * i1, 16 * i2, 16 * i3,
            Mask(positions - 16 * v0), Mask(positions - 16 * i1), Mask(positions - 16 * i2), Mask(positions - 16 * i3),
            In(16 * v0, width, rowStride), In(16 * i1, width, rowStride), In(16 * i2, width, rowStride), In(16 * i3, width, rowStride));
    }

    private static int In(int position, int width, int rowStride) => rowStride == width ? position : position / width * rowStride + position % width;

    /// <summary>Four output vectors of one sample: their first positions, which lanes are stored, and where each reads tap (0, 0) (<see cref="TileAt"/>).</summary>
    private readonly record struct Tile(int At0, int At1, int At2, int At3,
        Vector512<float> Mask0, Vector512<float> Mask1, Vector512<float> Mask2, Vector512<float> Mask3, int In0, int In1, int In2, int In3);

    // Four filters (first, … first + 3; past the last one repeats it and is not stored) × the tile's four vectors:
    // 16 accumulators, one flat loop over rows column-matrix rows (w's filters stride apart) that the JIT keeps in
    // registers. park: the 16 accumulators between chunks of channels — resumed from there (resume; else the chain
    // starts from 0) and left there (leave) instead of stored.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x4(int rows, int stride, int* rowOffset, float* padded, float* w, int first, int filters, in Tile t, float* y, int positions,
        float* scale, float* shift, bool relu, float* park, bool resume, bool leave)
    {
        float* w0 = w + (long)first * stride, w1 = w + (long)Math.Min(first + 1, filters - 1) * stride;
        float* w2 = w + (long)Math.Min(first + 2, filters - 1) * stride, w3 = w + (long)Math.Min(first + 3, filters - 1) * stride;
        float* p0 = padded + t.In0, p1 = padded + t.In1, p2 = padded + t.In2, p3 = padded + t.In3;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        if (resume)
        {
            (a00, a01, a02, a03) = (Vector512.Load(park), Vector512.Load(park + 16), Vector512.Load(park + 32), Vector512.Load(park + 48));
            (a10, a11, a12, a13) = (Vector512.Load(park + 64), Vector512.Load(park + 80), Vector512.Load(park + 96), Vector512.Load(park + 112));
            (a20, a21, a22, a23) = (Vector512.Load(park + 128), Vector512.Load(park + 144), Vector512.Load(park + 160), Vector512.Load(park + 176));
            (a30, a31, a32, a33) = (Vector512.Load(park + 192), Vector512.Load(park + 208), Vector512.Load(park + 224), Vector512.Load(park + 240));
        }
        for (int r = 0; r < rows; r++)
        {
            int o = rowOffset[r];
            Vector512<float> x0 = Vector512.Load(p0 + o), x1 = Vector512.Load(p1 + o), x2 = Vector512.Load(p2 + o), x3 = Vector512.Load(p3 + o);
            Vector512<float> s = Vector512.Create(w0[r]);
            a00 = Vector512.FusedMultiplyAdd(s, x0, a00); a01 = Vector512.FusedMultiplyAdd(s, x1, a01);
            a02 = Vector512.FusedMultiplyAdd(s, x2, a02); a03 = Vector512.FusedMultiplyAdd(s, x3, a03);
            s = Vector512.Create(w1[r]);
            a10 = Vector512.FusedMultiplyAdd(s, x0, a10); a11 = Vector512.FusedMultiplyAdd(s, x1, a11);
            a12 = Vector512.FusedMultiplyAdd(s, x2, a12); a13 = Vector512.FusedMultiplyAdd(s, x3, a13);
            s = Vector512.Create(w2[r]);
            a20 = Vector512.FusedMultiplyAdd(s, x0, a20); a21 = Vector512.FusedMultiplyAdd(s, x1, a21);
            a22 = Vector512.FusedMultiplyAdd(s, x2, a22); a23 = Vector512.FusedMultiplyAdd(s, x3, a23);
            s = Vector512.Create(w3[r]);
            a30 = Vector512.FusedMultiplyAdd(s, x0, a30); a31 = Vector512.FusedMultiplyAdd(s, x1, a31);
            a32 = Vector512.FusedMultiplyAdd(s, x2, a32); a33 = Vector512.FusedMultiplyAdd(s, x3, a33);
        }
        if (leave)
        {
            a00.Store(park); a01.Store(park + 16); a02.Store(park + 32); a03.Store(park + 48);
            a10.Store(park + 64); a11.Store(park + 80); a12.Store(park + 96); a13.Store(park + 112);
            a20.Store(park + 128); a21.Store(park + 144); a22.Store(park + 160); a23.Store(park + 176);
            a30.Store(park + 192); a31.Store(park + 208); a32.Store(park + 224); a33.Store(park + 240);
            return;
        }
        Put(y + (long)first * positions, t, a00, a01, a02, a03, scale, shift, first, relu);
        if (first + 1 < filters) { Put(y + (long)(first + 1) * positions, t, a10, a11, a12, a13, scale, shift, first + 1, relu); }
        if (first + 2 < filters) { Put(y + (long)(first + 2) * positions, t, a20, a21, a22, a23, scale, shift, first + 2, relu); }
        if (first + 3 < filters) { Put(y + (long)(first + 3) * positions, t, a30, a31, a32, a33, scale, shift, first + 3, relu); }
    }

    /// <summary>One filter's four vectors of the tile, through the epilogue (if any), into its output plane <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* y, in Tile t, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        float* scale, float* shift, int filter, bool relu)
    {
        if (scale is not null)
        {
            Vector512<float> s = Vector512.Create(scale[filter]), b = Vector512.Create(shift[filter]);
            v0 = Vector512.FusedMultiplyAdd(v0, s, b);
            v1 = Vector512.FusedMultiplyAdd(v1, s, b);
            v2 = Vector512.FusedMultiplyAdd(v2, s, b);
            v3 = Vector512.FusedMultiplyAdd(v3, s, b);
            if (relu)
            {
                v0 = Vector512.Max(v0, Vector512<float>.Zero);
                v1 = Vector512.Max(v1, Vector512<float>.Zero);
                v2 = Vector512.Max(v2, Vector512<float>.Zero);
                v3 = Vector512.Max(v3, Vector512<float>.Zero);
            }
        }
        Avx512F.MaskStore(y + t.At0, t.Mask0, v0);
        Avx512F.MaskStore(y + t.At1, t.Mask1, v1);
        Avx512F.MaskStore(y + t.At2, t.Mask2, v2);
        Avx512F.MaskStore(y + t.At3, t.Mask3, v3);
    }
}
