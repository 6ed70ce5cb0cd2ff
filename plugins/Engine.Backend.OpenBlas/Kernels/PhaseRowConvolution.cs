using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Forward of stride-2 float32 convolutions with few input channels and a wide window (ResNet-18's 7×7
/// stride-2 first layer, 3×224×224 → 64) on AVX-512, without a column matrix. Per sample each input row,
/// zero-padded, is split into its two phases: the even padded columns and the odd ones, each a row of its
/// own. Output column ox at tap column kx reads padded column 2·ox + kx, which is element ox + kx/2 of
/// phase kx mod 2: at stride 2, sixteen consecutive outputs read sixteen consecutive floats of one phase
/// row, so each tap of an output vector is one unmasked load at a fixed offset from the vector's start.
/// A register tile of four filters × six vectors of 16 output positions (24 accumulators; the vectors may
/// span output rows) runs over the C·K·K taps, each tap loading six input vectors and broadcasting four
/// weights. The inference epilogue (batch norm or bias, then ReLU) is applied to the accumulators before the
/// one store; any other epilogue (a residual, another activation) runs over each sample's output right
/// after it is computed.
/// </summary>
/// <remarks>
/// <para>Why: the im2col path wrote a 147-row column matrix of 12,544 positions per sample for the first layer
/// (7.4 MB, 49 times the input) and the packed GEMM read it back with only 64 rows of filters to amortise it
/// over; the layer took 1.4× ONNX Runtime's time after the stride-2 gather was vectorised (benchmarks/NOTES.md).
/// The two phase rows of a sample are 2 × the padded input, built with <see cref="StridedGather.Row"/>.</para>
/// <para>Each output is the chain of fused multiply-adds over the column-matrix rows (channel, tap row, tap
/// column) in order, started from 0, with the padding's zeros multiplied as im2col's are: the chain of the
/// packed GEMM (<see cref="PackedGemm"/>), so the result is bit for bit im2col's on that kernel, at any
/// thread count (PhaseRowConvolutionTests). A row whose width is not a multiple of 16 ends in a partial
/// vector whose extra lanes are computed (reading the zeroed end of the phase rows) and not stored.
/// <c>ENGINE_PHASE_ROWS=on|auto|off</c>: on forces it wherever it fits, off never; unset or auto, the size rule
/// (<see cref="Worthwhile"/>) decides. Measured (benchmarks/NOTES.md, helper <c>stem7</c>): 0.91–0.97× the time of the
/// path it replaces by the fastest call on a quiet machine (7×7 first layer, 64×56×56 → 128 3×3), about even under load;
/// whole ResNet-18 at one thread ahead of off in four quiet pairs (engine/ORT by CPU 0.88–0.91 against 0.83–0.90).</para>
/// </remarks>
internal static unsafe class PhaseRowConvolution
{
    /// <summary>Whether the size rule decides (null: unset or <c>ENGINE_PHASE_ROWS=auto</c>), or the path is forced on (true) or off (false).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both paths in one process.</remarks>
    public static bool? Forced { get; internal set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_PHASE_ROWS"));

    /// <summary>Filters and vectors of the register tile: 24 accumulators, six input vectors and a broadcast weight, 31 registers.</summary>
    private const int Filters = 4, Vectors = 6;

    /// <summary>
    /// Tiles run against one block of filters before the next block (<c>ENGINE_PHASE_ROWS_BAND</c> sets it for measurements):
    /// 2 measured a little ahead of 1 and 4 on the 7×7 first layer and the 64×56×56 → 128 3×3 (loaded machine).
    /// </summary>
    internal static int TilesPerBand { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("ENGINE_PHASE_ROWS_BAND"), out int b) && b > 0 ? b : 2;

    /// <summary>The most taps (column-matrix rows): their offsets are listed on the stack.</summary>
    private const int MaxTaps = 4096;

    /// <summary>Whether forward of <paramref name="l"/> runs here: what the kernel can do, and (unless forced on) the size rule.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        Forced != false && Fits<T>(l) && (Forced == true || Worthwhile(l));

    /// <summary>What the kernel can do: float32 on AVX-512 where the packed GEMM is the reference (same bits), one group, 2-D, stride 2, no dilation.</summary>
    internal static bool Fits<T>(in ConvolutionLayout l) where T : unmanaged =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && PackedGemm.Bits == 512
        && l.Groups == 1 && l.Depth.Kernel == 1 && l.Depth.Input == 1 && l.Depth.Output == 1 && l.Batch > 0 && l.Channels > 0 && l.Filters > 0
        && AxisFits(l.Height) && AxisFits(l.Width) && l.ColumnRows <= MaxTaps;

    private static bool AxisFits(ConvolutionAxis a) => a.Stride == 2 && a.Dilation == 1 && a.Pad >= 0 && a.Output > 0;

    /// <summary>
    /// The size rule: first layers (at most 4 channels) with windows of 5 or more, whose column matrix is many times
    /// their input (ResNet-18's 7×7: 49×), and 3×3 layers with output rows of 28 or more (ResNet-18's 64×56×56 → 128,
    /// which the padded direct kernel took; two vectors a row, 28 of 32 lanes used). Not narrower rows: on ResNet-18's
    /// 128×28×28 → 256 (14 wide) and 256×14×14 → 512 (7 wide) it ran 1.05× and 2.8× the batched product's time, on
    /// the 1×1 stride-2 projections 1.3–2.6× im2col's (<c>--quick-phase-rows</c>, benchmarks/NOTES.md, helper <c>stem7</c>).
    /// </summary>
    internal static bool Worthwhile(in ConvolutionLayout l) =>
        (l.Channels <= 4 && l.Height.Kernel >= 5 && l.Width.Kernel >= 5)
        || (l.Height.Kernel == 3 && l.Width.Kernel == 3 && l.Width.Output >= 28);

    /// <summary>
    /// y ← x ⋆ w for the whole batch, then the epilogue, one sample per item of the <see cref="WorkerPool"/>
    /// (ReLU or no activation without a residual: in registers, y = f(scale·acc + shift), the same FMA and max as
    /// <see cref="ChannelAffineKernels"/>; otherwise over each sample's output once it is written).
    /// </summary>
    public static void Forward(in ConvolutionLayout l, float* x, float* w, float* y, ConvolutionWorkspace workspace, in ConvolutionEpilogue epilogue = default)
    {
        bool inKernel = epilogue.IsSet && !epilogue.HasResidual && epilogue.Activation is null or Activation.Relu;
        int kernelWidth = l.Width.Kernel, taps = l.ColumnRows;
        int rows = 2 * (l.Height.Output - 1) + l.Height.Kernel; // padded input rows the outputs read
        int vectors = (l.Width.Output + 15) / 16;
        // A phase row: what the last vector reads at the last tap column, rounded up to whole 64-byte lines so that every row
        // starts on a line and the loads of tap columns 0 and 1 (offset 0 in their phase) do not straddle two lines.
        int length = (16 * vectors + (kernelWidth - 1) / 2 + 15) & ~15;
        long perWorker = (long)l.Channels * rows * 2 * length;
        int width = Math.Max(1, Math.Min(WorkerPool.Width, l.Batch));
        // Each column-matrix row's offset in a sample's phase rows, from output row 0's first position.
        int* tapOffset = stackalloc int[taps];
        for (int c = 0, r = 0; c < l.Channels; c++)
        {
            for (int ky = 0; ky < l.Height.Kernel; ky++)
            {
                for (int kx = 0; kx < kernelWidth; kx++, r++)
                {
                    tapOffset[r] = checked((int)((((long)c * rows + ky) * 2 + (kx & 1)) * length + (kx >> 1)));
                }
            }
        }
        CpuStorage block = workspace.Rent<float>(width * perWorker);
        try
        {
            // The padding and each row's end are zeroed once here; each sample then writes only what comes from x.
            new Span<float>((float*)block.Pointer, checked((int)(width * perWorker))).Clear();
            var job = new Job
            {
                Layout = l,
                X = x,
                W = w,
                Y = y,
                Phases = (float*)block.Pointer,
                PerWorker = perWorker,
                Rows = rows,
                Length = length,
                TapOffset = tapOffset,
                Scale = inKernel ? (float*)epilogue.Scale : null,
                Shift = inKernel ? (float*)epilogue.Shift : null,
                Relu = inKernel && epilogue.Activation == Activation.Relu,
                After = epilogue.IsSet && !inKernel,
                Epilogue = epilogue,
            };
            WorkerPool.For(l.Batch, width, &Sample, &job);
        }
        finally
        {
            workspace.Return(block);
        }
    }

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, W, Y, Phases;
        public long PerWorker;
        public int Rows, Length;
        public int* TapOffset;
        public float* Scale, Shift; // the epilogue in registers, or null
        public bool Relu;
        public bool After;          // the epilogue runs over each sample's output after it is written
        public ConvolutionEpilogue Epilogue;
    }

    private static void Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        float* phases = job.Phases + worker * job.PerWorker;
        float* xn = job.X + (long)n * l.Channels * l.InputSize;
        float* yn = job.Y + (long)n * l.Filters * l.OutputSize;
        Split(l, xn, phases, job.Rows, job.Length);
        int outputWidth = l.Width.Output, positions = l.OutputSize, vectors = (outputWidth + 15) / 16, total = l.Height.Output * vectors;
        int band = Vectors * TilesPerBand;
        for (int b0 = 0; b0 < total; b0 += band)
        {
            // A band of tiles against each block of four filters in turn: the band's inputs stay in the first-level
            // cache while each block's weights are read once for all its tiles.
            int end = Math.Min(b0 + band, total);
            for (int f = 0; f < l.Filters; f += Filters)
            {
                for (int v0 = b0; v0 < end; v0 += Vectors)
                {
                    // A last tile with fewer vectors repeats its last one (the same values are stored twice).
                    var tile = new Tile(
                        At(v0, end, vectors, outputWidth, job.Length), At(v0 + 1, end, vectors, outputWidth, job.Length),
                        At(v0 + 2, end, vectors, outputWidth, job.Length), At(v0 + 3, end, vectors, outputWidth, job.Length),
                        At(v0 + 4, end, vectors, outputWidth, job.Length), At(v0 + 5, end, vectors, outputWidth, job.Length));
                    Block4x6(l.ColumnRows, job.TapOffset, phases, job.W, f, l.Filters, tile, yn, positions, job.Scale, job.Shift, job.Relu);
                }
            }
        }
        if (job.After)
        {
            job.Epilogue.Apply(yn, 1, l.Filters, positions);
        }
    }

    /// <summary>Output vector <paramref name="i"/> of a sample (the last one past the end): where it reads tap (0, 0) in the phase rows, where it is stored, which lanes.</summary>
    private static OutputVector At(int i, int total, int vectors, int outputWidth, int length)
    {
        i = Math.Min(i, total - 1);
        int oy = i / vectors, ox = 16 * (i % vectors);
        // Output row oy starts at padded row 2·oy: two phase rows per padded row.
        return new OutputVector(4 * oy * length + ox, oy * outputWidth + ox, Mask(outputWidth - ox));
    }

    /// <summary>
    /// The sample's padded rows (those the outputs read) into their two phases: phase p of padded row py holds
    /// padded columns p, p + 2, p + 4, …, i.e. element j is x[c, py − pad, 2·j + p − pad]. What falls in the padding stays zero.
    /// </summary>
    private static void Split(in ConvolutionLayout l, float* x, float* phases, int rows, int length)
    {
        int height = l.Height.Input, inputWidth = l.Width.Input, pad = l.Width.Pad;
        for (int c = 0; c < l.Channels; c++)
        {
            for (int py = 0; py < rows; py++)
            {
                int iy = py - l.Height.Pad;
                if (iy < 0 || iy >= height)
                {
                    continue;
                }
                float* src = x + ((long)c * height + iy) * inputWidth;
                float* dst = phases + ((long)c * rows + py) * 2 * length;
                for (int p = 0; p < 2; p++)
                {
                    // The first element inside the input: the least j with 2·j + p − pad ≥ 0.
                    int j0 = Math.Max(0, (pad - p + 1) / 2), s0 = 2 * j0 + p - pad;
                    int count = s0 < inputWidth ? Math.Min(length - j0, (inputWidth - 1 - s0) / 2 + 1) : 0;
                    if (count > 0)
                    {
                        StridedGather.Row(src + s0, dst + p * length + j0, count);
                    }
                }
            }
        }
    }

    /// <summary>The first <paramref name="lanes"/> lanes (all 16 from 16 on).</summary>
    private static Vector512<float> Mask(int lanes) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();

    /// <summary>One output vector: its tap-(0, 0) offset in the phase rows, its offset in an output plane, the lanes stored.</summary>
    private readonly record struct OutputVector(int In, int Out, Vector512<float> Mask);

    /// <summary>The six output vectors of a tile.</summary>
    private readonly record struct Tile(OutputVector V0, OutputVector V1, OutputVector V2, OutputVector V3, OutputVector V4, OutputVector V5);

    // Four filters (first, … first + 3; past the last one repeats it and is not stored) × the tile's six vectors:
    // 24 accumulators, one flat loop over the column-matrix rows that the JIT keeps in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x6(int taps, int* tapOffset, float* phases, float* w, int first, int filters, in Tile t, float* y, int positions,
        float* scale, float* shift, bool relu)
    {
        float* w0 = w + (long)first * taps, w1 = w + (long)Math.Min(first + 1, filters - 1) * taps;
        float* w2 = w + (long)Math.Min(first + 2, filters - 1) * taps, w3 = w + (long)Math.Min(first + 3, filters - 1) * taps;
        float* p0 = phases + t.V0.In, p1 = phases + t.V1.In, p2 = phases + t.V2.In;
        float* p3 = phases + t.V3.In, p4 = phases + t.V4.In, p5 = phases + t.V5.In;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default, a35 = default;
        for (int r = 0; r < taps; r++)
        {
            int o = tapOffset[r];
            Vector512<float> x0 = Vector512.Load(p0 + o), x1 = Vector512.Load(p1 + o), x2 = Vector512.Load(p2 + o);
            Vector512<float> x3 = Vector512.Load(p3 + o), x4 = Vector512.Load(p4 + o), x5 = Vector512.Load(p5 + o);
            Vector512<float> s = Vector512.Create(w0[r]);
            a00 = Vector512.FusedMultiplyAdd(s, x0, a00); a01 = Vector512.FusedMultiplyAdd(s, x1, a01); a02 = Vector512.FusedMultiplyAdd(s, x2, a02);
            a03 = Vector512.FusedMultiplyAdd(s, x3, a03); a04 = Vector512.FusedMultiplyAdd(s, x4, a04); a05 = Vector512.FusedMultiplyAdd(s, x5, a05);
            s = Vector512.Create(w1[r]);
            a10 = Vector512.FusedMultiplyAdd(s, x0, a10); a11 = Vector512.FusedMultiplyAdd(s, x1, a11); a12 = Vector512.FusedMultiplyAdd(s, x2, a12);
            a13 = Vector512.FusedMultiplyAdd(s, x3, a13); a14 = Vector512.FusedMultiplyAdd(s, x4, a14); a15 = Vector512.FusedMultiplyAdd(s, x5, a15);
            s = Vector512.Create(w2[r]);
            a20 = Vector512.FusedMultiplyAdd(s, x0, a20); a21 = Vector512.FusedMultiplyAdd(s, x1, a21); a22 = Vector512.FusedMultiplyAdd(s, x2, a22);
            a23 = Vector512.FusedMultiplyAdd(s, x3, a23); a24 = Vector512.FusedMultiplyAdd(s, x4, a24); a25 = Vector512.FusedMultiplyAdd(s, x5, a25);
            s = Vector512.Create(w3[r]);
            a30 = Vector512.FusedMultiplyAdd(s, x0, a30); a31 = Vector512.FusedMultiplyAdd(s, x1, a31); a32 = Vector512.FusedMultiplyAdd(s, x2, a32);
            a33 = Vector512.FusedMultiplyAdd(s, x3, a33); a34 = Vector512.FusedMultiplyAdd(s, x4, a34); a35 = Vector512.FusedMultiplyAdd(s, x5, a35);
        }
        Put(y + (long)first * positions, t, a00, a01, a02, a03, a04, a05, scale, shift, first, relu);
        if (first + 1 < filters) { Put(y + (long)(first + 1) * positions, t, a10, a11, a12, a13, a14, a15, scale, shift, first + 1, relu); }
        if (first + 2 < filters) { Put(y + (long)(first + 2) * positions, t, a20, a21, a22, a23, a24, a25, scale, shift, first + 2, relu); }
        if (first + 3 < filters) { Put(y + (long)(first + 3) * positions, t, a30, a31, a32, a33, a34, a35, scale, shift, first + 3, relu); }
    }

    /// <summary>One filter's six vectors of the tile, through the epilogue (if in registers), into its output plane <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* y, in Tile t, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        Vector512<float> v4, Vector512<float> v5, float* scale, float* shift, int filter, bool relu)
    {
        if (scale is not null)
        {
            Vector512<float> s = Vector512.Create(scale[filter]), b = Vector512.Create(shift[filter]);
            v0 = Vector512.FusedMultiplyAdd(v0, s, b);
            v1 = Vector512.FusedMultiplyAdd(v1, s, b);
            v2 = Vector512.FusedMultiplyAdd(v2, s, b);
            v3 = Vector512.FusedMultiplyAdd(v3, s, b);
            v4 = Vector512.FusedMultiplyAdd(v4, s, b);
            v5 = Vector512.FusedMultiplyAdd(v5, s, b);
            if (relu)
            {
                v0 = Vector512.Max(v0, Vector512<float>.Zero);
                v1 = Vector512.Max(v1, Vector512<float>.Zero);
                v2 = Vector512.Max(v2, Vector512<float>.Zero);
                v3 = Vector512.Max(v3, Vector512<float>.Zero);
                v4 = Vector512.Max(v4, Vector512<float>.Zero);
                v5 = Vector512.Max(v5, Vector512<float>.Zero);
            }
        }
        Avx512F.MaskStore(y + t.V0.Out, t.V0.Mask, v0);
        Avx512F.MaskStore(y + t.V1.Out, t.V1.Mask, v1);
        Avx512F.MaskStore(y + t.V2.Out, t.V2.Mask, v2);
        Avx512F.MaskStore(y + t.V3.Out, t.V3.Mask, v3);
        Avx512F.MaskStore(y + t.V4.Out, t.V4.Mask, v4);
        Avx512F.MaskStore(y + t.V5.Out, t.V5.Mask, v5);
    }
}
