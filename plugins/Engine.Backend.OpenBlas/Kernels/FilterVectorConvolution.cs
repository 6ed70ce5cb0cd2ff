using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Direct forward convolution with the filters along the vector: 16 filters per 512-bit register,
/// for layers with a multiple of 16 filters, no padding, stride and dilation 1, and output rows 10
/// wide (LeNet-5's conv2: 6→16 channels, 14×14 → 10×10). Two output rows (20 positions) of one
/// block of 16 filters are 20 accumulators; per tap one load of the 16 filters' weights, then 20
/// broadcast input values and 20 FMAs. Every lane does useful work, where <see cref="DirectConvolution"/>
/// (positions along the vector) fills 10 of 16 lanes on these rows and needs a lane mask per load.
/// </summary>
/// <remarks>
/// Each output is the chain of FMAs over the taps in (channel, row, column) order starting from
/// zero, as in <see cref="DirectConvolution"/> and the column GEMM, so the result is the same bit for
/// bit (tested). The accumulators hold positions × filters; a sample's block is transposed into the
/// NCHW output after its rows are done (1,600 moves against 15,000 FMAs per sample). The fused
/// inference epilogue is applied to each accumulator before that (one FMA and a max per element, as
/// <see cref="ChannelAffineKernels"/> does). <c>ENGINE_FILTER_VECTOR_CONV=off</c> keeps <see cref="DirectConvolution"/>.
/// </remarks>
internal static unsafe class FilterVectorConvolution
{
    /// <summary>The output row width the kernel is unrolled for.</summary>
    private const int RowWidth = 10;

    /// <summary>Off: <see cref="DirectConvolution"/> runs these layouts (the reference of the tests).</summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_FILTER_VECTOR_CONV") != "off";

    /// <summary>Whether the forward pass of <paramref name="l"/> runs here.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        Enabled && typeof(T) == typeof(float) && SmallGemm.Bits == 512 && Avx512F.IsSupported
        && l.Groups == 1 && l.Filters % 16 == 0 && l.Filters <= 32 && l.ColumnRows <= 256
        && l.Depth.IsIdentity && Plain(l.Height) && Plain(l.Width)
        && l.Width.Output == RowWidth && l.Height.Output % 2 == 0 && l.Height.Output <= MaxRows;

    /// <summary>
    /// The most output rows: a sample's block of positions × 16 filters sits on the stack (20 KB at
    /// most), beside the packed weights (at most 32 filters × 256 taps, 32 KB).
    /// </summary>
    private const int MaxRows = 32;

    private static bool Plain(ConvolutionAxis a) => a.Stride == 1 && a.Pad == 0 && a.Dilation == 1;

    /// <summary>
    /// y ← f(scale·(x ⋆ w) + shift) (or x ⋆ w when the epilogue is not set) for the whole batch, a sample
    /// per pool item; with <paramref name="pool"/>, y is instead the 2×2 stride-2 max pooling of that,
    /// taken from the accumulators of each pair of output rows (<see cref="ConvolutionPool"/>).
    /// </summary>
    public static void Forward(in ConvolutionLayout l, float* x, float* w, float* y, in ConvolutionEpilogue epilogue, bool pool = false)
    {
        int taps = l.ColumnRows;
        // packed[block][tap][16]: the weights of 16 filters at one tap, one vector.
        float* packed = stackalloc float[l.Filters * taps];
        for (int f = 0; f < l.Filters; f++)
        {
            for (int t = 0; t < taps; t++)
            {
                packed[((long)(f / 16) * taps + t) * 16 + f % 16] = w[(long)f * taps + t];
            }
        }
        int* offsets = stackalloc int[taps];
        for (int c = 0, t = 0; c < l.Channels; c++)
        {
            for (int kh = 0; kh < l.Height.Kernel; kh++)
            {
                for (int kw = 0; kw < l.Width.Kernel; kw++, t++)
                {
                    offsets[t] = c * l.InputSize + kh * l.Width.Input + kw;
                }
            }
        }
        bool relu = epilogue.Activation == Activation.Relu;
        var job = new Job
        {
            Layout = l,
            X = x,
            Y = y,
            Packed = packed,
            Offsets = offsets,
            Scale = epilogue.IsSet ? (float*)epilogue.Scale : null,
            Shift = epilogue.IsSet ? (float*)epilogue.Shift : null,
            Relu = relu,
            Pool = pool,
        };
        WorkerPool.For(l.Batch, Math.Max(1, Math.Min(WorkerPool.Width, l.Batch)), &Sample, &job);
    }

    /// <summary>Whether the epilogue of <paramref name="epilogue"/> can run in this kernel (ReLU or none); else the caller applies it.</summary>
    public static bool TakesEpilogue(in ConvolutionEpilogue epilogue) => !epilogue.IsSet || epilogue.Activation is null or Activation.Relu;

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, Y, Packed, Scale, Shift;
        public int* Offsets;
        public bool Relu, Pool;
    }

    private static void Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        int taps = l.ColumnRows, positions = job.Pool ? l.OutputSize / 4 : l.OutputSize;
        int pairStride = job.Pool ? RowWidth / 2 * 16 : 2 * RowWidth * 16; // per two output rows in the block (one pooled row)
        float* x = job.X + (long)n * l.Channels * l.InputSize, y = job.Y + (long)n * l.Filters * positions;
        // positions × 16 filters of one block (pooled positions with Pool), transposed into y when the block is done.
        float* block = stackalloc float[positions * 16];
        for (int fb = 0; fb < l.Filters; fb += 16)
        {
            Vector512<float> scale = Vector512<float>.One, shift = Vector512<float>.Zero;
            bool epilogue = job.Scale is not null;
            if (epilogue)
            {
                scale = Vector512.Load(job.Scale + fb);
                shift = Vector512.Load(job.Shift + fb);
            }
            float* w = job.Packed + (long)fb * taps;
            for (int oh = 0; oh < l.Height.Output; oh += 2)
            {
                TwoRows(taps, job.Offsets, x + oh * l.Width.Input, l.Width.Input, w, block + oh / 2 * pairStride,
                    epilogue, scale, shift, job.Relu, job.Pool);
            }
            for (int f = 0; f < 16; f++)
            {
                float* yf = y + (long)(fb + f) * positions;
                for (int p = 0; p < positions; p++)
                {
                    yf[p] = block[p * 16 + f];
                }
            }
        }
    }

    // Rows oh and oh + 1 (10 positions each) of 16 filters: 20 accumulators over all taps; with `pool`
    // the five maxima of their 2×2 windows are stored instead (5 vectors).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoRows(int taps, int* offsets, float* x, int inputWidth, float* w, float* o, bool epilogue,
        Vector512<float> scale, Vector512<float> shift, bool relu, bool pool)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default, a9 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default, b8 = default, b9 = default;
        for (int t = 0; t < taps; t++)
        {
            Vector512<float> v = Vector512.Load(w + t * 16);
            float* s = x + offsets[t], u = s + inputWidth;
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0]), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1]), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2]), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(s[3]), v, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Create(s[4]), v, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Create(s[5]), v, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Create(s[6]), v, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Create(s[7]), v, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Create(s[8]), v, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Create(s[9]), v, a9);
            b0 = Vector512.FusedMultiplyAdd(Vector512.Create(u[0]), v, b0);
            b1 = Vector512.FusedMultiplyAdd(Vector512.Create(u[1]), v, b1);
            b2 = Vector512.FusedMultiplyAdd(Vector512.Create(u[2]), v, b2);
            b3 = Vector512.FusedMultiplyAdd(Vector512.Create(u[3]), v, b3);
            b4 = Vector512.FusedMultiplyAdd(Vector512.Create(u[4]), v, b4);
            b5 = Vector512.FusedMultiplyAdd(Vector512.Create(u[5]), v, b5);
            b6 = Vector512.FusedMultiplyAdd(Vector512.Create(u[6]), v, b6);
            b7 = Vector512.FusedMultiplyAdd(Vector512.Create(u[7]), v, b7);
            b8 = Vector512.FusedMultiplyAdd(Vector512.Create(u[8]), v, b8);
            b9 = Vector512.FusedMultiplyAdd(Vector512.Create(u[9]), v, b9);
        }
        if (pool)
        {
            Pool4(o, 0, a0, a1, b0, b1, epilogue, scale, shift, relu);
            Pool4(o, 1, a2, a3, b2, b3, epilogue, scale, shift, relu);
            Pool4(o, 2, a4, a5, b4, b5, epilogue, scale, shift, relu);
            Pool4(o, 3, a6, a7, b6, b7, epilogue, scale, shift, relu);
            Pool4(o, 4, a8, a9, b8, b9, epilogue, scale, shift, relu);
            return;
        }
        Put(o, 0, a0, epilogue, scale, shift, relu); Put(o, 1, a1, epilogue, scale, shift, relu);
        Put(o, 2, a2, epilogue, scale, shift, relu); Put(o, 3, a3, epilogue, scale, shift, relu);
        Put(o, 4, a4, epilogue, scale, shift, relu); Put(o, 5, a5, epilogue, scale, shift, relu);
        Put(o, 6, a6, epilogue, scale, shift, relu); Put(o, 7, a7, epilogue, scale, shift, relu);
        Put(o, 8, a8, epilogue, scale, shift, relu); Put(o, 9, a9, epilogue, scale, shift, relu);
        Put(o, 10, b0, epilogue, scale, shift, relu); Put(o, 11, b1, epilogue, scale, shift, relu);
        Put(o, 12, b2, epilogue, scale, shift, relu); Put(o, 13, b3, epilogue, scale, shift, relu);
        Put(o, 14, b4, epilogue, scale, shift, relu); Put(o, 15, b5, epilogue, scale, shift, relu);
        Put(o, 16, b6, epilogue, scale, shift, relu); Put(o, 17, b7, epilogue, scale, shift, relu);
        Put(o, 18, b8, epilogue, scale, shift, relu); Put(o, 19, b9, epilogue, scale, shift, relu);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* o, int position, Vector512<float> sum, bool epilogue, Vector512<float> scale, Vector512<float> shift, bool relu) =>
        Finish(sum, epilogue, scale, shift, relu).Store(o + position * 16);

    // The window's four outputs (upper left, upper right, lower left, lower right) after the epilogue, and their maximum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pool4(float* o, int position, Vector512<float> ul, Vector512<float> ur, Vector512<float> ll, Vector512<float> lr,
        bool epilogue, Vector512<float> scale, Vector512<float> shift, bool relu) =>
        ConvolutionPool.Max4(Finish(ul, epilogue, scale, shift, relu), Finish(ur, epilogue, scale, shift, relu),
            Finish(ll, epilogue, scale, shift, relu), Finish(lr, epilogue, scale, shift, relu)).Store(o + position * 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Finish(Vector512<float> sum, bool epilogue, Vector512<float> scale, Vector512<float> shift, bool relu)
    {
        if (epilogue)
        {
            sum = Vector512.FusedMultiplyAdd(sum, scale, shift);
            sum = relu ? Vector512.Max(sum, Vector512<float>.Zero) : sum;
        }
        return sum;
    }
}
