using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// im2col and its adjoint col2im for one sample, over up to 3 spatial axes (vol2col). The column
/// matrix has one row per (channel, kd, kh, kw) tap and one column per output position
/// (od, oh, ow), both row-major, so the convolution of one group is a single GEMM of the filters
/// (K/groups × C/groups·taps) with that group's contiguous block of rows. Taps that fall in the
/// zero padding read as 0 (gather) or are dropped (scatter).
/// </summary>
/// <remarks>
/// The innermost loop is one output row: its valid range is worked out once, so the padded ends
/// are cleared and, at stride 1, the middle is a single memory copy (gather) or vector add (scatter)
/// rather than a per-element bounds test.
/// </remarks>
internal static unsafe class Im2Col
{
    /// <summary>col ← im2col(x) for one sample x of C×D×H×W.</summary>
    public static void Gather<T>(in ConvolutionLayout layout, T* x, T* col)
        where T : unmanaged, IFloatingPointIeee754<T> => Gather(layout, x, col, layout.OutputSize);

    /// <summary>
    /// col ← im2col(x) with <paramref name="rowStride"/> elements between the starts of the column
    /// matrix's rows, so several samples' matrices can sit side by side as one wider matrix.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip the slow tier-0 code
    public static void Gather<T>(in ConvolutionLayout layout, T* x, T* col, long rowStride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Im2ColMasked.Applies<T>(layout))
        {
            Im2ColMasked.Gather(layout, (float*)x, (float*)col, rowStride);
            return;
        }
        Gather(layout, x, col, rowStride, 0, layout.Height.Output);
    }

    /// <summary>
    /// The columns of output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) only (of every
    /// output plane), <paramref name="rowStride"/> apart: a slice of the column matrix small enough to
    /// stay in cache while its product runs (see <see cref="ConvolutionKernels"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather<T>(in ConvolutionLayout layout, T* x, T* col, long rowStride, int firstRow, int endRow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Not the masked gather: it writes whole output planes, not a slice of their rows.
        ConvolutionAxis d = layout.Depth, h = layout.Height, w = layout.Width;
        int plane = (endRow - firstRow) * w.Output;
        T* tapRow = col;
        for (int c = 0; c < layout.Channels; c++)
        {
            T* channel = x + (long)c * layout.InputSize;
            for (int kd = 0; kd < d.Kernel; kd++)
            {
                for (int kh = 0; kh < h.Kernel; kh++)
                {
                    for (int kw = 0; kw < w.Kernel; kw++, tapRow += rowStride)
                    {
                        T* row = tapRow;
                        (int first, int end, int offset) = ValidRange(w, kw);
                        for (int od = 0; od < d.Output; od++)
                        {
                            int id = od * d.Stride - d.Pad + kd * d.Dilation;
                            if ((uint)id >= (uint)d.Input)
                            {
                                new Span<T>(row, plane).Clear();
                                row += plane;
                                continue;
                            }
                            for (int oh = firstRow; oh < endRow; oh++)
                            {
                                int ih = oh * h.Stride - h.Pad + kh * h.Dilation;
                                if ((uint)ih >= (uint)h.Input)
                                {
                                    Clear(row, w.Output);
                                }
                                else
                                {
                                    GatherRow(channel + ((long)id * h.Input + ih) * w.Input, row, w, first, end, offset);
                                }
                                row += w.Output;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>x += col2im(col) for one sample x of C×D×H×W (the caller clears x first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scatter<T>(in ConvolutionLayout layout, T* col, T* x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Scatter(layout, col, x, (long)layout.Depth.Output * layout.Height.Output * layout.Width.Output, 0, layout.Height.Output);

    /// <summary>
    /// x += col2im of the columns of output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>),
    /// their tap rows <paramref name="rowStride"/> apart (the slice <see cref="Gather{T}(in ConvolutionLayout, T*, T*, long, int, int)"/> writes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scatter<T>(in ConvolutionLayout layout, T* col, T* x, long rowStride, int firstRow, int endRow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ConvolutionAxis d = layout.Depth, h = layout.Height, w = layout.Width;
        int plane = (endRow - firstRow) * w.Output;
        T* tapRow = col;
        for (int c = 0; c < layout.Channels; c++)
        {
            T* channel = x + (long)c * layout.InputSize;
            for (int kd = 0; kd < d.Kernel; kd++)
            {
                for (int kh = 0; kh < h.Kernel; kh++)
                {
                    for (int kw = 0; kw < w.Kernel; kw++, tapRow += rowStride)
                    {
                        T* row = tapRow;
                        (int first, int end, int offset) = ValidRange(w, kw);
                        for (int od = 0; od < d.Output; od++)
                        {
                            int id = od * d.Stride - d.Pad + kd * d.Dilation;
                            if ((uint)id >= (uint)d.Input)
                            {
                                row += plane;
                                continue;
                            }
                            for (int oh = firstRow; oh < endRow; oh++)
                            {
                                int ih = oh * h.Stride - h.Pad + kh * h.Dilation;
                                if ((uint)ih < (uint)h.Input)
                                {
                                    ScatterRow(row, channel + ((long)id * h.Input + ih) * w.Input, w.Stride, first, end, offset);
                                }
                                row += w.Output;
                            }
                        }
                    }
                }
            }
        }
    }

    // Rows are short (a LeNet convolution's are 10 to 28 elements), so the helpers below copy, clear
    // and add with inline vector loops: a call into Span.CopyTo / TensorPrimitives per row cost more
    // than the row itself and made im2col/col2im about half of a LeNet training step.

    /// <summary>dst[ow] ← src[ow·stride + offset] for ow in [first, end), 0 elsewhere in [0, w.Output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherRow<T>(T* src, T* dst, ConvolutionAxis w, int first, int end, int offset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int ow = 0; ow < first; ow++)
        {
            dst[ow] = T.Zero;
        }
        for (int ow = end; ow < w.Output; ow++)
        {
            dst[ow] = T.Zero;
        }
        if (w.Stride == 1)
        {
            Copy(src + first + offset, dst + first, end - first);
            return;
        }
        if (typeof(T) == typeof(float) && w.Stride == 2 && StridedGather.Enabled)
        {
            StridedGather.Row((float*)(src + (long)first * 2 + offset), (float*)(dst + first), end - first);
            return;
        }
        T* s = src + (long)first * w.Stride + offset;
        for (int ow = first; ow < end; ow++, s += w.Stride)
        {
            dst[ow] = *s;
        }
    }

    /// <summary>dst[ow·stride + offset] += src[ow] for ow in [first, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterRow<T>(T* src, T* dst, int stride, int first, int end, int offset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (stride == 1)
        {
            T* s = src + first, t = dst + first + offset;
            int count = end - first, i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
                {
                    Vector256.Store(Vector256.Load(t + i) + Vector256.Load(s + i), t + i);
                }
            }
            for (; i < count; i++)
            {
                t[i] += s[i];
            }
            return;
        }
        T* target = dst + (long)first * stride + offset;
        for (int ow = first; ow < end; ow++, target += stride)
        {
            *target += src[ow];
        }
    }

    /// <summary>dst[0..count) ← src[0..count); the ranges do not overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T>(T* src, T* dst, int count)
        where T : unmanaged
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && count >= Vector256<T>.Count)
        {
            for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                Vector256.Store(Vector256.Load(src + i), dst + i);
            }
            if (i < count)
            {
                // The last (overlapping) vector rewrites a few elements with the same values.
                int last = count - Vector256<T>.Count;
                Vector256.Store(Vector256.Load(src + last), dst + last);
            }
            return;
        }
        for (; i < count; i++)
        {
            dst[i] = src[i];
        }
    }

    /// <summary>dst[0..count) ← 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear<T>(T* dst, int count)
        where T : unmanaged
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                Vector256.Store(Vector256<T>.Zero, dst + i);
            }
        }
        for (; i < count; i++)
        {
            dst[i] = default;
        }
    }

    /// <summary>
    /// The outputs [first, end) of tap <paramref name="k"/> whose input index ow·stride + offset lies
    /// in [0, input); offset = k·dilation − pad. Empty ranges come back with first = end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int First, int End, int Offset) ValidRange(ConvolutionAxis axis, int k)
    {
        int offset = k * axis.Dilation - axis.Pad;
        // ow·s + offset ≥ 0  ⇔  ow ≥ ceil(−offset / s); ow·s + offset ≤ input − 1  ⇔  ow ≤ floor((input − 1 − offset) / s).
        int first = offset >= 0 ? 0 : (-offset + axis.Stride - 1) / axis.Stride;
        int last = axis.Input - 1 - offset;
        int end = last < 0 ? 0 : Math.Min(axis.Output, last / axis.Stride + 1);
        first = Math.Min(first, axis.Output);
        return (first, Math.Max(first, end), offset);
    }
}
