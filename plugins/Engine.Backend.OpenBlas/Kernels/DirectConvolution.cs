using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Direct forward convolution for float32 layers with few input taps and narrow rows (LeNet-5's
/// 1→6 and 6→16 at 5×5: 25 and 150 taps, rows 28 and 10 wide), on AVX-512. One output row of a
/// block of filters lives in registers (6 filters × 2 vectors, or 8 filters × 1 vector); each tap
/// loads its input row once, shifted by the tap, with a lane mask that reads the padding as
/// nothing, and feeds it to every filter of the block. No column matrix is written: im2col was
/// the largest single cost of a LeNet-5 step (perf: 15–22%), since its columns are 25× the input.
/// </summary>
/// <remarks>
/// Each output is the same chain of fused multiply-adds over the taps in (channel, depth, row,
/// column) order as the column-matrix GEMM (<see cref="SmallGemm.Multiply"/>); taps in the padding
/// are skipped rather than multiplied by zero, which can only turn a −0 result into +0 or back.
/// Taken where the own kernels run at 512 bits (<see cref="SmallGemm.Bits"/>), so
/// <c>ENGINE_SMALL_GEMM=off|256|128</c> and the tests' reference runs keep im2col + GEMM.
/// </remarks>
internal static unsafe class DirectConvolution
{
    /// <summary>The most taps (channels × window) a filter may have here: the depth the own GEMM kernel takes too.</summary>
    private const int MaxTaps = 256;

    /// <summary>Whether the forward pass of <paramref name="l"/> runs here.</summary>
    public static bool Applies<T>(in ConvolutionLayout l) where T : unmanaged =>
        typeof(T) == typeof(float) && SmallGemm.Bits == 512 && Avx512F.IsSupported
        && l.Groups == 1 && !l.IsPointwise && l.ColumnRows <= MaxTaps
        && l.Width.Stride == 1 && l.Width.Output is > 0 and <= 32;

    /// <summary>y ← x ⋆ w for the whole batch, one sample per item of the <see cref="WorkerPool"/>.</summary>
    public static void Forward(in ConvolutionLayout l, float* x, float* w, float* y)
    {
        var job = new Job { Layout = l, X = x, W = w, Y = y };
        WorkerPool.For(l.Batch, Math.Max(1, Math.Min(WorkerPool.Width, l.Batch)), &Sample, &job);
    }

    private struct Job
    {
        public ConvolutionLayout Layout;
        public float* X, W, Y;
    }

    private static void Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        ForwardSample(l, job.X + (long)n * l.Channels * l.InputSize, job.W, job.Y + (long)n * l.Filters * l.OutputSize);
    }

    /// <summary>One sample: y (filters × outputs) ← w ⋆ x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardSample(in ConvolutionLayout l, float* x, float* w, float* y)
    {
        ConvolutionAxis wa = l.Width;
        Vector512<int> lanes = Vector512<int>.Indices, high = lanes + Vector512.Create(16);
        var rows = new Rows
        {
            Store0 = Im2ColMasked.Between(lanes, 0, wa.Output),
            Store1 = Im2ColMasked.Between(high, 0, wa.Output),
        };
        // Per tap column kw: the lanes whose input column ow + offset lies inside the row.
        Vector512<float>* masks = stackalloc Vector512<float>[2 * wa.Kernel];
        for (int kw = 0; kw < wa.Kernel; kw++)
        {
            int offset = kw * wa.Dilation - wa.Pad;
            masks[2 * kw] = Im2ColMasked.Between(lanes, -offset, wa.Input - offset) & rows.Store0;
            masks[2 * kw + 1] = Im2ColMasked.Between(high, -offset, wa.Input - offset) & rows.Store1;
        }
        rows.Masks = masks;
        if (wa.Output > 16)
        {
            for (int f = 0; f < l.Filters; f += 6)
            {
                Block6x2(l, x, w + (long)f * l.ColumnRows, Math.Min(6, l.Filters - f), y + (long)f * l.OutputSize, rows);
            }
        }
        else
        {
            for (int f = 0; f < l.Filters; f += 8)
            {
                Block8x1(l, x, w + (long)f * l.ColumnRows, Math.Min(8, l.Filters - f), y + (long)f * l.OutputSize, rows);
            }
        }
    }

    /// <summary>The masks one sample's rows share.</summary>
    private struct Rows
    {
        public Vector512<float> Store0, Store1;
        public Vector512<float>* Masks; // 2 per tap column: first and second vector
    }

    // Six filters × two vectors (rows 17–32 wide): 12 accumulators. Filters past `count` repeat the
    // last real one (harmless work) and are not stored.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block6x2(in ConvolutionLayout l, float* x, float* w, int count, float* y, in Rows rows)
    {
        ConvolutionAxis da = l.Depth, ha = l.Height, wa = l.Width;
        int depth = l.ColumnRows, outputs = l.OutputSize;
        float* w0 = w, w1 = w + Math.Min(1, count - 1) * depth, w2 = w + Math.Min(2, count - 1) * depth;
        float* w3 = w + Math.Min(3, count - 1) * depth, w4 = w + Math.Min(4, count - 1) * depth, w5 = w + Math.Min(5, count - 1) * depth;
        Vector512<float>* masks = rows.Masks;
        for (int od = 0; od < da.Output; od++)
        {
            for (int oh = 0; oh < ha.Output; oh++)
            {
                Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
                Vector512<float> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
                for (int c = 0; c < l.Channels; c++)
                {
                    for (int kd = 0; kd < da.Kernel; kd++)
                    {
                        int id = od * da.Stride - da.Pad + kd * da.Dilation;
                        if ((uint)id >= (uint)da.Input)
                        {
                            continue;
                        }
                        for (int kh = 0; kh < ha.Kernel; kh++)
                        {
                            int ih = oh * ha.Stride - ha.Pad + kh * ha.Dilation;
                            if ((uint)ih >= (uint)ha.Input)
                            {
                                continue;
                            }
                            float* row = x + (long)c * l.InputSize + ((long)id * ha.Input + ih) * wa.Input;
                            int p = ((c * da.Kernel + kd) * ha.Kernel + kh) * wa.Kernel;
                            for (int kw = 0; kw < wa.Kernel; kw++, p++)
                            {
                                float* src = row + kw * wa.Dilation - wa.Pad;
                                Vector512<float> v0 = Avx512F.MaskLoad(src, masks[2 * kw], Vector512<float>.Zero);
                                Vector512<float> v1 = Avx512F.MaskLoad(src + 16, masks[2 * kw + 1], Vector512<float>.Zero);
                                Vector512<float> s = Vector512.Create(w0[p]);
                                a00 = Vector512.FusedMultiplyAdd(s, v0, a00); a01 = Vector512.FusedMultiplyAdd(s, v1, a01);
                                s = Vector512.Create(w1[p]);
                                a10 = Vector512.FusedMultiplyAdd(s, v0, a10); a11 = Vector512.FusedMultiplyAdd(s, v1, a11);
                                s = Vector512.Create(w2[p]);
                                a20 = Vector512.FusedMultiplyAdd(s, v0, a20); a21 = Vector512.FusedMultiplyAdd(s, v1, a21);
                                s = Vector512.Create(w3[p]);
                                a30 = Vector512.FusedMultiplyAdd(s, v0, a30); a31 = Vector512.FusedMultiplyAdd(s, v1, a31);
                                s = Vector512.Create(w4[p]);
                                a40 = Vector512.FusedMultiplyAdd(s, v0, a40); a41 = Vector512.FusedMultiplyAdd(s, v1, a41);
                                s = Vector512.Create(w5[p]);
                                a50 = Vector512.FusedMultiplyAdd(s, v0, a50); a51 = Vector512.FusedMultiplyAdd(s, v1, a51);
                            }
                        }
                    }
                }
                float* o = y + ((long)od * ha.Output + oh) * wa.Output;
                Put2(o, a00, a01, rows);
                if (count > 1) { Put2(o + outputs, a10, a11, rows); }
                if (count > 2) { Put2(o + 2 * outputs, a20, a21, rows); }
                if (count > 3) { Put2(o + 3 * outputs, a30, a31, rows); }
                if (count > 4) { Put2(o + 4 * outputs, a40, a41, rows); }
                if (count > 5) { Put2(o + 5 * outputs, a50, a51, rows); }
            }
        }
    }

    // Eight filters × one vector (rows up to 16 wide): 8 accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block8x1(in ConvolutionLayout l, float* x, float* w, int count, float* y, in Rows rows)
    {
        ConvolutionAxis da = l.Depth, ha = l.Height, wa = l.Width;
        int depth = l.ColumnRows, outputs = l.OutputSize;
        float* w0 = w, w1 = w + Math.Min(1, count - 1) * depth, w2 = w + Math.Min(2, count - 1) * depth, w3 = w + Math.Min(3, count - 1) * depth;
        float* w4 = w + Math.Min(4, count - 1) * depth, w5 = w + Math.Min(5, count - 1) * depth, w6 = w + Math.Min(6, count - 1) * depth, w7 = w + Math.Min(7, count - 1) * depth;
        Vector512<float>* masks = rows.Masks;
        for (int od = 0; od < da.Output; od++)
        {
            for (int oh = 0; oh < ha.Output; oh++)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int c = 0; c < l.Channels; c++)
                {
                    for (int kd = 0; kd < da.Kernel; kd++)
                    {
                        int id = od * da.Stride - da.Pad + kd * da.Dilation;
                        if ((uint)id >= (uint)da.Input)
                        {
                            continue;
                        }
                        for (int kh = 0; kh < ha.Kernel; kh++)
                        {
                            int ih = oh * ha.Stride - ha.Pad + kh * ha.Dilation;
                            if ((uint)ih >= (uint)ha.Input)
                            {
                                continue;
                            }
                            float* row = x + (long)c * l.InputSize + ((long)id * ha.Input + ih) * wa.Input;
                            int p = ((c * da.Kernel + kd) * ha.Kernel + kh) * wa.Kernel;
                            for (int kw = 0; kw < wa.Kernel; kw++, p++)
                            {
                                Vector512<float> v = Avx512F.MaskLoad(row + kw * wa.Dilation - wa.Pad, masks[2 * kw], Vector512<float>.Zero);
                                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(w0[p]), v, a0);
                                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(w1[p]), v, a1);
                                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(w2[p]), v, a2);
                                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(w3[p]), v, a3);
                                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(w4[p]), v, a4);
                                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(w5[p]), v, a5);
                                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(w6[p]), v, a6);
                                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(w7[p]), v, a7);
                            }
                        }
                    }
                }
                float* o = y + ((long)od * ha.Output + oh) * wa.Output;
                Avx512F.MaskStore(o, rows.Store0, a0);
                if (count > 1) { Avx512F.MaskStore(o + outputs, rows.Store0, a1); }
                if (count > 2) { Avx512F.MaskStore(o + 2 * outputs, rows.Store0, a2); }
                if (count > 3) { Avx512F.MaskStore(o + 3 * outputs, rows.Store0, a3); }
                if (count > 4) { Avx512F.MaskStore(o + 4 * outputs, rows.Store0, a4); }
                if (count > 5) { Avx512F.MaskStore(o + 5 * outputs, rows.Store0, a5); }
                if (count > 6) { Avx512F.MaskStore(o + 6 * outputs, rows.Store0, a6); }
                if (count > 7) { Avx512F.MaskStore(o + 7 * outputs, rows.Store0, a7); }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put2(float* o, Vector512<float> first, Vector512<float> second, in Rows rows)
    {
        Avx512F.MaskStore(o, rows.Store0, first);
        Avx512F.MaskStore(o + 16, rows.Store1, second);
    }
}
