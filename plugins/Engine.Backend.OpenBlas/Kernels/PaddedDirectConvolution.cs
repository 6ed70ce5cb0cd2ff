using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Forward of 3×3 stride-1 float32 convolutions with 16–64 channels on 16- to 32-wide planes (CIFAR
/// ResNet-20's 32×32 and 16×16 stages, VGG-CIFAR's), on AVX-512, without a column matrix. Per sample
/// the input is copied once into a zero-bordered buffer (each channel plane (H + 2p) × (W + 2p)), so
/// every tap of every output vector is one unmasked load at a fixed offset; a register tile of four
/// filters × four vectors of 16 output positions (16 accumulators) runs over the C·9 taps, each tap
/// loading four input vectors and broadcasting four weights. The inference epilogue (batch norm or
/// bias, then ReLU) is applied to the accumulators before the one store.
/// </summary>
/// <remarks>
/// <para>Why: on these layers im2col + the packed GEMM runs at 70–85 GF/s on one thread (products only 16–64
/// rows high, so writing the 9× column matrix, packing it, and the reload of C at every 128-deep step
/// cost as much as the multiply-adds); this path writes nothing but the padded input and the output.</para>
/// <para>Each output is the chain of fused multiply-adds over the column-matrix rows (channel, tap row,
/// tap column) in order, started from 0, with the padding's zeros multiplied like im2col's: the same
/// chain as the packed GEMM's (<see cref="PackedGemm"/>), so the result is bit for bit im2col's on that
/// kernel (PaddedDirectConvolutionTests), at any thread count. The vectors of a plane are its rows cut
/// into 16 positions; a row whose width is not a multiple of 16 ends in a partial vector whose extra lanes
/// read the next padded row and are not stored. <c>ENGINE_PADDED_DIRECT=on|off</c>: on forces it
/// wherever it fits, off never.</para>
/// </remarks>
internal static unsafe class PaddedDirectConvolution
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
        Forced != false && Fits<T>(l) && (Forced == true || Worthwhile(l));

    /// <summary>
    /// What the kernel can do: float32 on AVX-512 where the packed GEMM is the reference (same bits), one
    /// group, 2-D, 3×3, stride 1, no dilation, padding at most 2, at least 16 positions a row (narrower rows
    /// would waste most lanes).
    /// </summary>
    internal static bool Fits<T>(in ConvolutionLayout l) where T : unmanaged =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && PackedGemm.Bits == 512
        && l.Groups == 1 && l.Depth.Kernel == 1 && l.Depth.Input == 1 && l.Depth.Output == 1 && l.Batch > 0 && l.Channels > 0 && l.Filters > 0
        && l.Channels <= MaxChannels && AxisFits(l.Height) && AxisFits(l.Width) && l.Width.Output >= 16;

    /// <summary>The most channels: each column-matrix row's offset is listed on the stack (9 ints a channel).</summary>
    private const int MaxChannels = 1024;

    private static bool AxisFits(ConvolutionAxis a) => a.Kernel == 3 && a.Stride == 1 && a.Dilation == 1 && a.Pad is >= 0 and <= 2 && a.Output > 0;

    /// <summary>
    /// The size rule, from <c>Engine.Bench.Kernels --quick-infer</c> (one thread, with the batch-norm + ReLU
    /// epilogue): rows a whole number of vectors wide (16 or 32: no lanes wasted) and at most 64 channels
    /// and filters (the 16–64 high products im2col loses on).
    /// </summary>
    internal static bool Worthwhile(in ConvolutionLayout l) =>
        l.Width.Output % 16 == 0 && l.Channels <= 64 && l.Filters <= 64;

    /// <summary>
    /// y ← x ⋆ w for the whole batch, one sample per item of the <see cref="WorkerPool"/>. Returns whether
    /// <paramref name="epilogue"/> was applied in registers (ReLU or none: y = f(scale·acc + shift), the same
    /// FMA and max as <see cref="ChannelAffineKernels"/>, so the same bits); false: the caller applies it.
    /// </summary>
    public static bool Forward(in ConvolutionLayout l, float* x, float* w, float* y, ConvolutionWorkspace workspace, in ConvolutionEpilogue epilogue = default)
    {
        bool inKernel = epilogue.IsSet && epilogue.Activation is null or Activation.Relu;
        int paddedWidth = l.Width.Input + 2 * l.Width.Pad, paddedHeight = l.Height.Input + 2 * l.Height.Pad;
        long padded = (long)l.Channels * paddedHeight * paddedWidth + Slack;
        int width = Math.Max(1, Math.Min(WorkerPool.Width, l.Batch));
        int rows = l.ColumnRows;
        int perRow = (l.Width.Output + 15) / 16, vectors = perRow * l.Height.Output;
        // Per call: each column-matrix row's offset in the padded sample, and each output vector's input
        // offset, output offset and lane count; then one padded sample per worker.
        int* rowOffset = stackalloc int[rows];
        for (int c = 0, r = 0; c < l.Channels; c++)
        {
            for (int ky = 0; ky < 3; ky++)
            {
                for (int kx = 0; kx < 3; kx++, r++)
                {
                    rowOffset[r] = (c * paddedHeight + ky) * paddedWidth + kx;
                }
            }
        }
        CpuStorage block = workspace.Rent<float>(width * padded + 3L * vectors);
        try
        {
            float* scratch = (float*)block.Pointer;
            int* vectorIn = (int*)(scratch + width * padded), vectorOut = vectorIn + vectors, vectorLanes = vectorOut + vectors;
            for (int oy = 0, v = 0; oy < l.Height.Output; oy++)
            {
                for (int ox = 0; ox < l.Width.Output; ox += 16, v++)
                {
                    vectorIn[v] = oy * paddedWidth + ox;
                    vectorOut[v] = oy * l.Width.Output + ox;
                    vectorLanes[v] = Math.Min(16, l.Width.Output - ox);
                }
            }
            for (int worker = 0; worker < width; worker++)
            {
                // The borders and the slack are zeroed once here; each sample then writes only the interior.
                new Span<float>(scratch + worker * padded, checked((int)padded)).Clear();
            }
            var job = new Job
            {
                Layout = l,
                X = x,
                W = w,
                Y = y,
                Padded = scratch,
                PerWorker = padded,
                PaddedWidth = paddedWidth,
                PaddedHeight = paddedHeight,
                RowOffset = rowOffset,
                VectorIn = vectorIn,
                VectorOut = vectorOut,
                VectorLanes = vectorLanes,
                VectorCount = vectors,
                Scale = inKernel ? (float*)epilogue.Scale : null,
                Shift = inKernel ? (float*)epilogue.Shift : null,
                Relu = inKernel && epilogue.Activation == Activation.Relu,
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
        public long PerWorker;
        public int PaddedWidth, PaddedHeight, VectorCount;
        public int* RowOffset, VectorIn, VectorOut, VectorLanes;
        public float* Scale, Shift; // the epilogue in registers, or null
        public bool Relu;
    }

    private static void Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        float* padded = job.Padded + worker * job.PerWorker;
        float* xn = job.X + (long)n * l.Channels * l.InputSize;
        float* yn = job.Y + (long)n * l.Filters * l.OutputSize;
        CopyInterior(l, xn, padded, job.PaddedWidth, job.PaddedHeight);
        int rows = l.ColumnRows, positions = l.OutputSize;
        for (int v0 = 0; v0 < job.VectorCount; v0 += Vectors)
        {
            // A last tile with fewer vectors repeats its last one (the same values are stored twice).
            int last = job.VectorCount - 1;
            int i0 = v0, i1 = Math.Min(v0 + 1, last), i2 = Math.Min(v0 + 2, last), i3 = Math.Min(v0 + 3, last);
            var tile = new Tile(job.VectorIn[i0], job.VectorIn[i1], job.VectorIn[i2], job.VectorIn[i3],
                job.VectorOut[i0], job.VectorOut[i1], job.VectorOut[i2], job.VectorOut[i3],
                Mask(job.VectorLanes[i0]), Mask(job.VectorLanes[i1]), Mask(job.VectorLanes[i2]), Mask(job.VectorLanes[i3]));
            for (int f = 0; f < l.Filters; f += Filters)
            {
                Block4x4(rows, job.RowOffset, padded, job.W, f, l.Filters, tile, yn, positions, job.Scale, job.Shift, job.Relu);
            }
        }
    }

    /// <summary>The sample's channels into the interior of its padded planes (the borders stay zero).</summary>
    private static void CopyInterior(in ConvolutionLayout l, float* x, float* padded, int paddedWidth, int paddedHeight)
    {
        int height = l.Height.Input, width = l.Width.Input;
        long bytes = (long)width * sizeof(float);
        for (int c = 0; c < l.Channels; c++)
        {
            float* dst = padded + ((long)c * paddedHeight + l.Height.Pad) * paddedWidth + l.Width.Pad;
            float* src = x + (long)c * height * width;
            for (int r = 0; r < height; r++)
            {
                Buffer.MemoryCopy(src + (long)r * width, dst + (long)r * paddedWidth, bytes, bytes);
            }
        }
    }

    private static Vector512<float> Mask(int lanes) =>
        Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(lanes)).AsSingle();

    /// <summary>Four output vectors of one sample: where each reads in the padded planes (tap (0, 0)), where it is stored, which lanes.</summary>
    private readonly record struct Tile(int In0, int In1, int In2, int In3, int Out0, int Out1, int Out2, int Out3,
        Vector512<float> Mask0, Vector512<float> Mask1, Vector512<float> Mask2, Vector512<float> Mask3);

    // Four filters (first, … first + 3; past the last one repeats it and is not stored) × the tile's four vectors:
    // 16 accumulators, one flat loop over the column-matrix rows that the JIT keeps in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x4(int rows, int* rowOffset, float* padded, float* w, int first, int filters, in Tile t, float* y, int positions,
        float* scale, float* shift, bool relu)
    {
        float* w0 = w + (long)first * rows, w1 = w + (long)Math.Min(first + 1, filters - 1) * rows;
        float* w2 = w + (long)Math.Min(first + 2, filters - 1) * rows, w3 = w + (long)Math.Min(first + 3, filters - 1) * rows;
        float* p0 = padded + t.In0, p1 = padded + t.In1, p2 = padded + t.In2, p3 = padded + t.In3;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
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
        Avx512F.MaskStore(y + t.Out0, t.Mask0, v0);
        Avx512F.MaskStore(y + t.Out1, t.Mask1, v1);
        Avx512F.MaskStore(y + t.Out2, t.Mask2, v2);
        Avx512F.MaskStore(y + t.Out3, t.Mask3, v3);
    }
}
