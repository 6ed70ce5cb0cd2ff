using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Backward data for float32 stride-1 layers with 3 to 6 input channels and a window of up to 25
/// taps: an RGB network's first 3×3 layer (when its input gradient is asked for: <c>engine bench
/// layers</c> does, as PyTorch's figure does) and LeNet-5's conv2 (6 channels, 5×5). dx has few
/// channels, so <see cref="DirectDataGradient"/> (dx as a forward convolution whose filters are the
/// channels, in blocks of 8 with one broadcast weight per FMA) is load-bound and leaves part of a block
/// idle, and the column path writes a column matrix per sample only to add it back (col2im). Here the
/// channels of several output vectors are 24 accumulators: 3 channels × 8 vectors (4 rows of two
/// vectors, or 8 rows of one) or 6 channels × 4 vectors; per (filter, tap) 3 or 6 broadcast weights,
/// 8 or 4 loads of dy shifted by the tap, 24 FMAs.
/// </summary>
/// <remarks>
/// A sample's dy is first copied into a per-worker plane padded with zeros on every side (by the
/// window's reach less the padding), so the hot loop needs no lane masks and no bounds: dx[c][ih][iw]
/// = Σ over filters and taps of w[f][c][kh][kw] · dy[f][ih + pad − kh·d][iw + pad − kw·d]. Each dx
/// element is one FMA chain over (filter, window row, window column) in order, samples are independent
/// items: the same bits at any thread count. The order is not col2im's (which adds the taps' partial
/// sums), so results differ from the column path by rounding (tested against a double-precision sum).
/// Switched with <see cref="SmallChannelFilterGradient.Enabled"/>. (The 4–6-channel case was opt-in for a
/// while after an MPI test's one-process and 2-rank LeNet-5 epochs came out 1.08e-3 apart with it on: that
/// was the test's one-process run falling back to 1 thread unsplit in a test host where OpenBLAS had been
/// loaded before, and Adam amplifying 1e-7 per-step rounding differences; the same comparison with this
/// kernel off is 2.6e-3 to 6.8e-2 apart at seeds 4–6. See benchmarks/NOTES.md, helper lenet3.)
/// </remarks>
internal static unsafe class SmallChannelDataGradient
{
    /// <summary>Weights per (filter, tap) in the packed array: the channels, padded with zeros.</summary>
    private const int Lanes = 8;

    /// <summary>The most (filter, tap) pairs: their offsets and packed weights sit on the stack (LeNet conv2: 400).</summary>
    private const int MaxPairs = 1024;

    /// <summary>Whether the backward data pass of <paramref name="l"/> runs here.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        SmallChannelFilterGradient.Enabled && typeof(T) == typeof(float) && SmallGemm.Bits == 512 && Avx512F.IsSupported
        && l.Groups == 1 && l.Channels is >= 3 and <= 6 && l.Depth.IsIdentity && l.Height.Kernel * l.Width.Kernel <= 25
        && l.Filters * l.Height.Kernel * l.Width.Kernel <= MaxPairs && l.Height.Stride == 1 && l.Width.Stride == 1
        && Reaches(l.Height) && Reaches(l.Width) && l.Width.Input is > 0 and <= 32 && l.Height.Input > 0;

    /// <summary>Padding no wider than the window's reach, so the padded dy plane starts at or before dy's first row and column.</summary>
    private static bool Reaches(ConvolutionAxis a) => a.Pad <= a.Dilation * (a.Kernel - 1);

    /// <summary>dx ← the input gradient of <paramref name="l"/> for the whole batch (dx is overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called a few times a pass: tiering would leave it quick-jitted through a short benchmark
    public static void Run(in ConvolutionLayout l, float* dy, float* w, float* dx, ConvolutionWorkspace workspace)
    {
        ConvolutionAxis ha = l.Height, wa = l.Width;
        int slots = l.Channels <= 3 ? 8 : 4, halves = wa.Input > 16 ? 2 : 1, rowsPerBlock = slots / halves;
        int blocks = (ha.Input + rowsPerBlock - 1) / rowsPerBlock, taps = ha.Kernel * wa.Kernel;
        int stride = 16 * halves + (wa.Kernel - 1) * wa.Dilation, rows = blocks * rowsPerBlock + (ha.Kernel - 1) * ha.Dilation;
        long plane = (long)rows * stride, padded = plane * l.Filters;
        // packed[f·taps + t][c] (channels padded to 8 with zeros); offsets[f·taps + t]: where the tap's dy starts in the padded planes.
        int pairs = l.Filters * taps;
        float* packed = stackalloc float[pairs * Lanes];
        int* offsets = stackalloc int[pairs];
        new Span<float>(packed, pairs * Lanes).Clear();
        for (int f = 0; f < l.Filters; f++)
        {
            for (int t = 0; t < taps; t++)
            {
                int kh = t / wa.Kernel, kw = t % wa.Kernel;
                offsets[f * taps + t] = checked((int)(f * plane + (ha.Kernel - 1 - kh) * ha.Dilation * stride + (wa.Kernel - 1 - kw) * wa.Dilation));
                for (int c = 0; c < l.Channels; c++)
                {
                    packed[(f * taps + t) * Lanes + c] = w[(f * l.Channels + c) * taps + t];
                }
            }
        }
        int width = Math.Max(1, Math.Min(WorkerPool.Width, l.Batch));
        CpuStorage block = workspace.Rent<float>(width * padded);
        try
        {
            // The borders stay zero: every sample writes the same interior.
            new Span<float>((float*)block.Pointer, checked((int)(width * padded))).Clear();
            var job = new Job
            {
                Layout = l,
                Dy = dy,
                Dx = dx,
                Packed = packed,
                Offsets = offsets,
                Padded = (float*)block.Pointer,
                PaddedSize = padded,
                Plane = plane,
                Stride = stride,
                Halves = halves,
                Blocks = blocks,
                RowsPerBlock = rowsPerBlock,
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
        public float* Dy, Dx, Packed, Padded;
        public int* Offsets;
        public long PaddedSize, Plane;
        public int Stride, Halves, Blocks, RowsPerBlock;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called a few times a pass: tiering would leave it quick-jitted through a short benchmark
    private static void Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        ConvolutionAxis ha = l.Height, wa = l.Width;
        float* padded = job.Padded + worker * job.PaddedSize;
        // dy row oh lands at padded row oh + top, column ow at ow + left (top, left ≥ 0 by Reaches).
        int top = (ha.Kernel - 1) * ha.Dilation - ha.Pad, left = (wa.Kernel - 1) * wa.Dilation - wa.Pad;
        int rows = (int)(job.Plane / job.Stride), kept = Math.Min(wa.Output, job.Stride - left);
        float* from = job.Dy + (long)n * l.Filters * l.OutputSize;
        // Rows of at most 32 floats: one masked vector move per 16 (a span copy per row cost as much as the FMAs of a 3-channel layer).
        Vector512<float> first = Stores.Mask(Math.Min(kept, 16)), second = Stores.Mask(kept - 16);
        for (int f = 0; f < l.Filters && kept > 0; f++)
        {
            for (int oh = 0; oh < ha.Output && oh + top < rows; oh++)
            {
                float* src = from + ((long)f * ha.Output + oh) * wa.Output, dst = padded + f * job.Plane + (long)(oh + top) * job.Stride + left;
                Avx512F.MaskStore(dst, first, Avx512F.MaskLoad(src, first, Vector512<float>.Zero));
                if (kept > 16)
                {
                    Avx512F.MaskStore(dst + 16, second, Avx512F.MaskLoad(src + 16, second, Vector512<float>.Zero));
                }
            }
        }
        // Slot k of a block: buffer offset (k / 2)·a + (k % 2)·b; dx offset likewise with the dx row.
        bool two = job.Halves == 2;
        int a = two ? job.Stride : 2 * job.Stride, b = two ? 16 : job.Stride;
        int xa = two ? wa.Input : 2 * wa.Input, xb = two ? 16 : wa.Input;
        var store = new Stores(wa.Input, two);
        float* dx = job.Dx + (long)n * l.Channels * l.InputSize;
        int pairs = l.Filters * ha.Kernel * wa.Kernel;
        for (int blk = 0; blk < job.Blocks; blk++)
        {
            int ih0 = blk * job.RowsPerBlock, valid = Math.Min(job.RowsPerBlock, ha.Input - ih0) * job.Halves;
            float* buffer = padded + (long)ih0 * job.Stride, o = dx + (long)ih0 * wa.Input;
            if (l.Channels <= 3)
            {
                Block3x8(pairs, job.Offsets, job.Packed, buffer, a, b, o, l.InputSize, xa, xb, valid, store);
            }
            else
            {
                Block6x4(pairs, job.Offsets, job.Packed, buffer, a, b, o, l.InputSize, xa, xb, valid, l.Channels, store);
            }
        }
    }

    /// <summary>Lane masks of the stores: a slot's first or second half of an output row.</summary>
    private readonly struct Stores(int width, bool two)
    {
        public readonly Vector512<float> Even = Mask(two ? 16 : width), Odd = Mask(two ? width - 16 : width);

        /// <summary>The first <paramref name="lanes"/> lanes set (none for 0 or fewer, all for 16 or more).</summary>
        public static Vector512<float> Mask(int lanes) =>
            Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();
    }

    /// <summary>
    /// 3 channels × 8 slots over every (filter, tap): <paramref name="count"/> pairs, their dy at
    /// <paramref name="buffer"/> + offsets[i], their weights at packed[8i]. Slots past
    /// <paramref name="valid"/> (rows below the input) are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block3x8(int count, int* offsets, float* packed, float* buffer, int a, int b, float* dx, int plane, int xa, int xb, int valid, Stores store)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default, c06 = default, c07 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default, c16 = default, c17 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default, c26 = default, c27 = default;
        float* q1 = buffer + a, q2 = buffer + 2 * a, q3 = buffer + 3 * a;
        for (int i = 0; i < count; i++)
        {
            int o = offsets[i];
            float* wp = packed + Lanes * i;
            Vector512<float> w0 = Vector512.Create(wp[0]), w1 = Vector512.Create(wp[1]), w2 = Vector512.Create(wp[2]);
            Vector512<float> v = Vector512.Load(buffer + o);
            c00 = Vector512.FusedMultiplyAdd(w0, v, c00); c10 = Vector512.FusedMultiplyAdd(w1, v, c10); c20 = Vector512.FusedMultiplyAdd(w2, v, c20);
            v = Vector512.Load(buffer + o + b);
            c01 = Vector512.FusedMultiplyAdd(w0, v, c01); c11 = Vector512.FusedMultiplyAdd(w1, v, c11); c21 = Vector512.FusedMultiplyAdd(w2, v, c21);
            v = Vector512.Load(q1 + o);
            c02 = Vector512.FusedMultiplyAdd(w0, v, c02); c12 = Vector512.FusedMultiplyAdd(w1, v, c12); c22 = Vector512.FusedMultiplyAdd(w2, v, c22);
            v = Vector512.Load(q1 + o + b);
            c03 = Vector512.FusedMultiplyAdd(w0, v, c03); c13 = Vector512.FusedMultiplyAdd(w1, v, c13); c23 = Vector512.FusedMultiplyAdd(w2, v, c23);
            v = Vector512.Load(q2 + o);
            c04 = Vector512.FusedMultiplyAdd(w0, v, c04); c14 = Vector512.FusedMultiplyAdd(w1, v, c14); c24 = Vector512.FusedMultiplyAdd(w2, v, c24);
            v = Vector512.Load(q2 + o + b);
            c05 = Vector512.FusedMultiplyAdd(w0, v, c05); c15 = Vector512.FusedMultiplyAdd(w1, v, c15); c25 = Vector512.FusedMultiplyAdd(w2, v, c25);
            v = Vector512.Load(q3 + o);
            c06 = Vector512.FusedMultiplyAdd(w0, v, c06); c16 = Vector512.FusedMultiplyAdd(w1, v, c16); c26 = Vector512.FusedMultiplyAdd(w2, v, c26);
            v = Vector512.Load(q3 + o + b);
            c07 = Vector512.FusedMultiplyAdd(w0, v, c07); c17 = Vector512.FusedMultiplyAdd(w1, v, c17); c27 = Vector512.FusedMultiplyAdd(w2, v, c27);
        }
        Put(dx, xa, xb, valid, store, c00, c01, c02, c03, c04, c05, c06, c07);
        Put(dx + plane, xa, xb, valid, store, c10, c11, c12, c13, c14, c15, c16, c17);
        Put(dx + 2 * plane, xa, xb, valid, store, c20, c21, c22, c23, c24, c25, c26, c27);
    }

    /// <summary>
    /// 6 channels × 4 slots over every (filter, tap), as <see cref="Block3x8"/>; channels from
    /// <paramref name="channels"/> on (zero weights) are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block6x4(int count, int* offsets, float* packed, float* buffer, int a, int b, float* dx, int plane, int xa, int xb, int valid, int channels, Stores store)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
        float* q1 = buffer + a;
        for (int i = 0; i < count; i++)
        {
            float* p0 = buffer + offsets[i], p1 = q1 + offsets[i], wp = packed + Lanes * i;
            Vector512<float> v0 = Vector512.Load(p0), v1 = Vector512.Load(p0 + b), v2 = Vector512.Load(p1), v3 = Vector512.Load(p1 + b);
            Vector512<float> s = Vector512.Create(wp[0]);
            c00 = Vector512.FusedMultiplyAdd(s, v0, c00); c01 = Vector512.FusedMultiplyAdd(s, v1, c01); c02 = Vector512.FusedMultiplyAdd(s, v2, c02); c03 = Vector512.FusedMultiplyAdd(s, v3, c03);
            s = Vector512.Create(wp[1]);
            c10 = Vector512.FusedMultiplyAdd(s, v0, c10); c11 = Vector512.FusedMultiplyAdd(s, v1, c11); c12 = Vector512.FusedMultiplyAdd(s, v2, c12); c13 = Vector512.FusedMultiplyAdd(s, v3, c13);
            s = Vector512.Create(wp[2]);
            c20 = Vector512.FusedMultiplyAdd(s, v0, c20); c21 = Vector512.FusedMultiplyAdd(s, v1, c21); c22 = Vector512.FusedMultiplyAdd(s, v2, c22); c23 = Vector512.FusedMultiplyAdd(s, v3, c23);
            s = Vector512.Create(wp[3]);
            c30 = Vector512.FusedMultiplyAdd(s, v0, c30); c31 = Vector512.FusedMultiplyAdd(s, v1, c31); c32 = Vector512.FusedMultiplyAdd(s, v2, c32); c33 = Vector512.FusedMultiplyAdd(s, v3, c33);
            s = Vector512.Create(wp[4]);
            c40 = Vector512.FusedMultiplyAdd(s, v0, c40); c41 = Vector512.FusedMultiplyAdd(s, v1, c41); c42 = Vector512.FusedMultiplyAdd(s, v2, c42); c43 = Vector512.FusedMultiplyAdd(s, v3, c43);
            s = Vector512.Create(wp[5]);
            c50 = Vector512.FusedMultiplyAdd(s, v0, c50); c51 = Vector512.FusedMultiplyAdd(s, v1, c51); c52 = Vector512.FusedMultiplyAdd(s, v2, c52); c53 = Vector512.FusedMultiplyAdd(s, v3, c53);
        }
        Put4(dx, xa, xb, valid, store, c00, c01, c02, c03);
        Put4(dx + plane, xa, xb, valid, store, c10, c11, c12, c13);
        Put4(dx + 2 * plane, xa, xb, valid, store, c20, c21, c22, c23);
        if (channels > 3) { Put4(dx + 3 * plane, xa, xb, valid, store, c30, c31, c32, c33); }
        if (channels > 4) { Put4(dx + 4 * plane, xa, xb, valid, store, c40, c41, c42, c43); }
        if (channels > 5) { Put4(dx + 5 * plane, xa, xb, valid, store, c50, c51, c52, c53); }
    }

    /// <summary>One channel's 8 slots into dx (slot k at (k / 2)·xa + (k % 2)·xb), the first <paramref name="valid"/> of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* dx, int xa, int xb, int valid, Stores store, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        Vector512<float> s4, Vector512<float> s5, Vector512<float> s6, Vector512<float> s7)
    {
        Put4(dx, xa, xb, valid, store, s0, s1, s2, s3);
        if (valid > 4) { Avx512F.MaskStore(dx + 2 * xa, store.Even, s4); }
        if (valid > 5) { Avx512F.MaskStore(dx + 2 * xa + xb, store.Odd, s5); }
        if (valid > 6) { Avx512F.MaskStore(dx + 3 * xa, store.Even, s6); }
        if (valid > 7) { Avx512F.MaskStore(dx + 3 * xa + xb, store.Odd, s7); }
    }

    /// <summary>Slots 0–3 (k at (k / 2)·xa + (k % 2)·xb), the first <paramref name="valid"/> of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put4(float* dx, int xa, int xb, int valid, Stores store, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3)
    {
        Avx512F.MaskStore(dx, store.Even, s0);
        if (valid > 1) { Avx512F.MaskStore(dx + xb, store.Odd, s1); }
        if (valid > 2) { Avx512F.MaskStore(dx + xa, store.Even, s2); }
        if (valid > 3) { Avx512F.MaskStore(dx + xa + xb, store.Odd, s3); }
    }
}
