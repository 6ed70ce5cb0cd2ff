using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The filter-lane variant of the direct filter gradient, for 5×5 windows over 16·g filters (LeNet-5's
/// conv2: 6→16): a vector holds one tap's sums for 16 filters, so every lane does work (the row-lane
/// kernel used 10 of 16 lanes on conv2's 10-wide rows). dy is copied transposed, position-major
/// (dyᵀ[n][position][filter]), and an item (channel c, 16 filters) keeps the window's 25 taps × 16
/// filters in 25 registers over the whole batch: per output position one dy load and 25 FMAs with a
/// broadcast x value each.
/// </summary>
/// <remarks>
/// Each dw element is one FMA chain over (sample, row, column) in order: the same bits at any thread
/// count. Only where the window rows never leave the input along the height (no height padding), so
/// the padded x rows suffice.
/// </remarks>
internal static unsafe partial class DirectFilterGradient
{
    /// <summary>Whether the filter-lane kernel runs <paramref name="l"/> (given <see cref="Applies{T}"/>).</summary>
    internal static bool FilterLanes(in ConvolutionLayout l) =>
        l.Filters % 16 == 0 && l.Height.Kernel == 5 && l.Width.Kernel == 5 && l.Width.Dilation == 1 && l.Height.Pad == 0
        && (l.Height.Output - 1) * l.Height.Stride + 4 * l.Height.Dilation < l.Height.Input;

    /// <summary>Copies sample <paramref name="n"/>'s dy transposed: dyᵀ[position][filter].</summary>
    private static void TransposeDy(ref Job job, int n)
    {
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, filters = l.Filters;
        float* to = job.PaddedDy + n * job.DySample, from = job.Dy + (long)n * filters * positions;
        for (int f = 0; f < filters; f++)
        {
            for (int p = 0; p < positions; p++)
            {
                to[p * filters + f] = from[f * positions + p];
            }
        }
    }

    /// <summary>Item (channel, block of 16 filters): its 25 × 16 sums over the batch, written into dw.</summary>
    private static void LaneItem(void* state, int item, int worker)
    {
        ref Job job = ref *(Job*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        int groups = l.Filters / 16, c = item / groups, group = item % groups;
        float* sums = stackalloc float[25 * 16];
        Sweep(ref job, c, group, sums);
        float* dw = job.Dw + (long)group * 16 * l.ColumnRows + c * 25;
        for (int f = 0; f < 16; f++)
        {
            for (int t = 0; t < 25; t++)
            {
                dw[(long)f * l.ColumnRows + t] = sums[t * 16 + f];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sweep(ref Job job, int c, int group, float* sums)
    {
        ref readonly ConvolutionLayout l = ref job.Layout;
        int rows = l.Height.Output, width = l.Width.Output, filters = l.Filters;
        long r1 = (long)l.Height.Dilation * job.XStride, r2 = 2 * r1, r3 = 3 * r1, r4 = 4 * r1, rowStep = (long)l.Height.Stride * job.XStride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default, a44 = default;
        for (int n = 0; n < l.Batch; n++)
        {
            float* xr = job.PaddedX + n * job.XSample + (long)c * l.Height.Input * job.XStride;
            float* g0 = job.PaddedDy + n * job.DySample + group * 16;
            for (int oh = 0; oh < rows; oh++, xr += rowStep)
            {
                for (int ow = 0; ow < width; ow++, g0 += filters)
                {
                    Vector512<float> g = Vector512.Load(g0);
                    float* p = xr + ow;
                    a00 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p)), a00);
                    a01 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + 1)), a01);
                    a02 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + 2)), a02);
                    a03 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + 3)), a03);
                    a04 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + 4)), a04);
                    a10 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r1)), a10);
                    a11 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r1 + 1)), a11);
                    a12 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r1 + 2)), a12);
                    a13 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r1 + 3)), a13);
                    a14 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r1 + 4)), a14);
                    a20 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r2)), a20);
                    a21 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r2 + 1)), a21);
                    a22 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r2 + 2)), a22);
                    a23 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r2 + 3)), a23);
                    a24 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r2 + 4)), a24);
                    a30 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r3)), a30);
                    a31 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r3 + 1)), a31);
                    a32 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r3 + 2)), a32);
                    a33 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r3 + 3)), a33);
                    a34 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r3 + 4)), a34);
                    a40 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r4)), a40);
                    a41 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r4 + 1)), a41);
                    a42 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r4 + 2)), a42);
                    a43 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r4 + 3)), a43);
                    a44 = Vector512.FusedMultiplyAdd(g, Vector512.Create(*(p + r4 + 4)), a44);
                }
            }
        }
        a00.Store(sums + 0);
        a01.Store(sums + 16);
        a02.Store(sums + 32);
        a03.Store(sums + 48);
        a04.Store(sums + 64);
        a10.Store(sums + 80);
        a11.Store(sums + 96);
        a12.Store(sums + 112);
        a13.Store(sums + 128);
        a14.Store(sums + 144);
        a20.Store(sums + 160);
        a21.Store(sums + 176);
        a22.Store(sums + 192);
        a23.Store(sums + 208);
        a24.Store(sums + 224);
        a30.Store(sums + 240);
        a31.Store(sums + 256);
        a32.Store(sums + 272);
        a33.Store(sums + 288);
        a34.Store(sums + 304);
        a40.Store(sums + 320);
        a41.Store(sums + 336);
        a42.Store(sums + 352);
        a43.Store(sums + 368);
        a44.Store(sums + 384);
    }
}
