using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Inference forward pass of a convolution, its epilogue (bias or batch normalisation, then ReLU) and
/// a 2×2 stride-2 max pooling as one kernel (<see cref="IBackend.TryConvolutionForwardPooled"/>):
/// LeNet-5's conv → ReLU → pool pairs. The two direct kernels compute a pair of output rows at a time
/// and pool it before storing: <see cref="FilterVectorConvolution"/> from its accumulators (filters
/// along the vector: a window's four outputs are four registers), <see cref="DirectConvolution"/>
/// from a two-row band on the stack (positions along the vector: the window's columns are adjacent
/// lanes, paired by a permutation). The full-size convolution output, 4× the pooled one (LeNet-5's
/// conv1 at batch 256: 4.8 MB, past L2), is never written nor read back.
/// </summary>
/// <remarks>
/// The pooled values are the maxima of exactly the values the convolution with its epilogue stores
/// (same FMA chains, same epilogue), so the result equals convolution + pooling bit for bit as long
/// as there is no NaN (the maximum of four finite values, or infinities, does not depend on the
/// order of comparisons; ReLU outputs are never −0). Taken for float32, ReLU, even output height
/// and width, and the layouts the two direct kernels take with their epilogue in registers.
/// <c>ENGINE_CONV_POOL=off</c> keeps the two passes (the reference of <c>ConvolutionPoolTests</c>).
/// </remarks>
internal static unsafe class ConvolutionPool
{
    /// <summary>Off: the backend declines, and the network runs the convolution and the pooling one after the other.</summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_CONV_POOL") != "off";

    /// <summary>Whether convolution <paramref name="l"/> with <paramref name="activation"/> followed by <paramref name="pool"/> runs here.</summary>
    public static bool Applies(in ConvolutionLayout l, DataType type, Activation? activation, PoolingGeometry pool) =>
        Enabled && type == DataType.Float32 && activation == Activation.Relu && IsMax2x2(pool)
        && l.Depth.Output == 1 && l.Height.Output % 2 == 0 && l.Width.Output % 2 == 0 && l.Batch > 0
        && (FilterVectorConvolution.Applies<float>(l) || (DirectConvolution.Applies<float>(l) && DirectConvolution.EpilogueInKernel));

    private static bool IsMax2x2(PoolingGeometry pool) =>
        pool.Mode == PoolingMode.Max && pool.Window is { SpatialRank: 2 } g
        && g.Kernel.All(k => k == 2) && g.Stride.All(s => s == 2) && g.PadBefore.All(p => p == 0) && g.PadAfter.All(p => p == 0);

    /// <summary>y ← maxpool₂ₓ₂(relu(scale·(x ⋆ w) + shift)) for the whole batch (<see cref="Applies"/> holds).</summary>
    public static void Forward(in ConvolutionLayout l, float* x, float* w, float* y, in ConvolutionEpilogue epilogue)
    {
        if (FilterVectorConvolution.Applies<float>(l))
        {
            FilterVectorConvolution.Forward(l, x, w, y, epilogue, pool: true);
        }
        else if (!DirectConvolution.Forward(l, x, w, y, epilogue, pool: true))
        {
            throw new InvalidOperationException("the pooled direct convolution ran without its epilogue"); // Applies rules this out
        }
    }

    /// <summary>The maximum of a 2×2 window's four outputs (upper left, upper right, lower left, lower right).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max4(Vector512<float> ul, Vector512<float> ur, Vector512<float> ll, Vector512<float> lr) =>
        Vector512.Max(Vector512.Max(ul, ur), Vector512.Max(ll, lr));

    /// <summary>
    /// Pools a band of two output rows per filter (filter k's at band + k·<paramref name="stride"/>, the
    /// second row <paramref name="width"/> after the first, width ≤ 32 and even) into one pooled row per
    /// filter, filter k's at y + k·<paramref name="plane"/>. <paramref name="store0"/> and
    /// <paramref name="store1"/> are the lane masks of a row's first and second vector.
    /// </summary>
    public static void PoolBand(float* band, int filters, int width, int stride, float* y, int plane, Vector512<float> store0, Vector512<float> store1)
    {
        Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odd = even + Vector512<int>.One;
        Vector512<float> pooled = Avx512F.CompareLessThan(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create((float)(width / 2)));
        for (int f = 0; f < filters; f++)
        {
            float* upper = band + (long)f * stride, lower = upper + width;
            Vector512<float> u0 = Avx512F.MaskLoad(upper, store0, Vector512<float>.Zero), l0 = Avx512F.MaskLoad(lower, store0, Vector512<float>.Zero);
            Vector512<float> u1 = Vector512<float>.Zero, l1 = Vector512<float>.Zero;
            if (width > 16)
            {
                u1 = Avx512F.MaskLoad(upper + 16, store1, Vector512<float>.Zero);
                l1 = Avx512F.MaskLoad(lower + 16, store1, Vector512<float>.Zero);
            }
            // Lane j of the permutations: columns 2j and 2j + 1 of each row.
            Vector512<float> m = Max4(Avx512F.PermuteVar16x32x2(u0, even, u1), Avx512F.PermuteVar16x32x2(u0, odd, u1),
                Avx512F.PermuteVar16x32x2(l0, even, l1), Avx512F.PermuteVar16x32x2(l0, odd, l1));
            Avx512F.MaskStore(y + (long)f * plane, pooled, m);
        }
    }
}
