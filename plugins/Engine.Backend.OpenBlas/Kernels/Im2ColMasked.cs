using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// im2col for float32 rows at most 32 outputs wide with stride 1 along the width (LeNet's
/// 28 and 10), on AVX-512 masked loads and stores: each output row is one or two 16-float vectors
/// whose lanes outside the valid input range read as 0, so a row costs two instructions instead of a clear loop, a copy loop and a scalar tail. The masks
/// depend only on the tap, so they are built once per tap row. Masked-off lanes are never touched
/// (AVX-512 suppresses their faults), so reading "before" a padded row is safe.
/// </summary>
/// <remarks>
/// Same values as <see cref="Im2Col"/>'s plain path, bit for bit (it copies). col2im stays on the
/// plain path: its taps add into overlapping stretches of one input row, and a masked load right
/// after a masked store to the same bytes cannot take the stored value forward, which made a masked
/// col2im slower than the plain one (perf: 5.4% → 8.2% of a LeNet-5 step). Used when the own kernels run at 512 bits
/// (<see cref="SmallGemm.Bits"/>), so <c>ENGINE_SMALL_GEMM=off|256|128</c> and the tests' reference runs
/// take the plain path.
/// </remarks>
internal static unsafe class Im2ColMasked
{
    /// <summary>Whether this path serves <paramref name="layout"/> for type <typeparamref name="T"/>.</summary>
    public static bool Applies<T>(in ConvolutionLayout layout) where T : unmanaged =>
        typeof(T) == typeof(float) && SmallGemm.Bits == 512 && Avx512F.IsSupported
        && layout.Width.Stride == 1 && layout.Width.Output is > 0 and <= 32;

    /// <summary>col ← im2col(x) for one sample, <paramref name="rowStride"/> floats between column-matrix rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather(in ConvolutionLayout layout, float* x, float* col, long rowStride)
    {
        ConvolutionAxis d = layout.Depth, h = layout.Height, w = layout.Width;
        int plane = h.Output * w.Output;
        bool two = w.Output > 16;
        Vector512<int> lanes = Vector512<int>.Indices, lanesHigh = lanes + Vector512.Create(16);
        Vector512<float> store0 = Between(lanes, 0, w.Output), store1 = Between(lanesHigh, 0, w.Output);
        float* tapRow = col;
        for (int c = 0; c < layout.Channels; c++)
        {
            float* channel = x + (long)c * layout.InputSize;
            for (int kd = 0; kd < d.Kernel; kd++)
            {
                for (int kh = 0; kh < h.Kernel; kh++)
                {
                    for (int kw = 0; kw < w.Kernel; kw++, tapRow += rowStride)
                    {
                        // Output ow reads input ow + offset, valid while that lies in [0, w.Input).
                        int offset = kw * w.Dilation - w.Pad;
                        Vector512<float> load0 = Between(lanes, -offset, w.Input - offset) & store0;
                        Vector512<float> load1 = Between(lanesHigh, -offset, w.Input - offset) & store1;
                        float* row = tapRow;
                        for (int od = 0; od < d.Output; od++)
                        {
                            int id = od * d.Stride - d.Pad + kd * d.Dilation;
                            if ((uint)id >= (uint)d.Input)
                            {
                                new Span<float>(row, plane).Clear();
                                row += plane;
                                continue;
                            }
                            for (int oh = 0; oh < h.Output; oh++, row += w.Output)
                            {
                                int ih = oh * h.Stride - h.Pad + kh * h.Dilation;
                                // An empty load mask (row in the padding) stores zeros.
                                Vector512<float> rowMask = (uint)ih < (uint)h.Input ? load0 : Vector512<float>.Zero;
                                float* src = channel + ((long)id * h.Input + ih) * w.Input + offset;
                                Avx512F.MaskStore(row, store0, Avx512F.MaskLoad(src, rowMask, Vector512<float>.Zero));
                                if (two)
                                {
                                    Vector512<float> rowMask1 = (uint)ih < (uint)h.Input ? load1 : Vector512<float>.Zero;
                                    Avx512F.MaskStore(row + 16, store1, Avx512F.MaskLoad(src + 16, rowMask1, Vector512<float>.Zero));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>All-ones lanes where first ≤ lane &lt; end, zero elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Between(Vector512<int> lanes, int first, int end) =>
        (Vector512.GreaterThanOrEqual(lanes, Vector512.Create(first)) & Vector512.LessThan(lanes, Vector512.Create(end))).AsSingle();
}
