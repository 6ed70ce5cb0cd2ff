using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Backward data of the stride-2 layers the forward tile takes (3×3, padding 1, an input twice the output: CIFAR ResNet-20's
/// 16×32×32 → 32 and 32×16×16 → 64), with the layer's channels along the vectors. Input row iy = 2·oy + ky − 1 and column
/// ix = 2·ox + kx − 1, so an even dx column 2j reads dy column j through tap column 1 only, and an odd one 2j + 1 reads dy
/// column j through tap column 2 and j + 1 through tap column 0; rows likewise (even: tap row 1 of dy row i; odd: tap row 0
/// of dy row i + 1, then tap row 2 of dy row i). A register tile of 32 channels (two vectors) × 8 consecutive dx positions of
/// one row (4 even, 4 odd) takes, per filter and tap row, 5 broadcasts of dy (columns j0 … j0 + 4) and 6 weight vectors for 24
/// FMAs, and writes its 8 positions through the forward tile's transposed store (<see cref="Store"/>).
/// </summary>
/// <remarks>
/// Each dx value is the FMA chain from +0 over (filter, tap row ascending, tap column descending) of the products whose dy
/// position exists, which are exactly the products the column path (wᵀ·dy, then col2im) adds: no product of the padding is
/// skipped that the reference would keep, so non-finite weights need no fallback. Rounding differs from col2im's (which adds the
/// nine taps' partial sums), the bits do not depend on the thread count (one sample per item). The filters are packed per call
/// as [group of 32 channels][filter][tap row][tap column][the group's width] (<see cref="PackTransposed"/>). <c>ENGINE_ROW_FILTER_BACKWARD</c> switches it
/// with the stride-1 path (<see cref="AppliesBackwardData{T}"/>).
/// </remarks>
internal static unsafe partial class RowFilterConvolution
{
    /// <summary>What the stride-2 tile can do: <see cref="Fits{T}"/> at stride 2, dx rows a multiple of 8 wide.</summary>
    private static bool FitsStride2BackwardData<T>(in ConvolutionLayout l) where T : unmanaged =>
        l.Height.Stride == 2 && Fits<T>(l) && l.Width.Input % Segment == 0;

    /// <summary>
    /// One sample of a stride-2 layer's dx (run by <see cref="RunTransposed"/>, the filters packed unflipped): per channel group,
    /// per dx row, per 8 dx positions.
    /// </summary>
    private static void Stride2Sample(void* state, int n, int worker)
    {
        ref Job job = ref *(Job*)state;
        int filters = job.Channels, height = job.Height, width = job.Width, plane = height * width;
        int dxWidth = 2 * width, dxPlane = 4 * plane;
        float* dyn = job.X + (long)n * filters * plane;
        float* dxn = job.Y + (long)n * job.Filters * dxPlane;
        for (int first = 0; first < job.Filters; first += Group)
        {
            int count = Math.Min(Group, job.Filters - first), lanes = count > 16 ? Group : 16;
            var finish = new Finish { Plane = dxPlane, Count = count };
            float* wg = job.Packed + first / Group * job.GroupFloats;
            int filterFloats = 9 * lanes;
            for (int iy = 0; iy < 2 * height; iy++)
            {
                // Even rows: tap row 1 of dy row iy / 2. Odd rows: tap row 0 of dy row (iy + 1) / 2 where it exists, then tap row 2 of dy row (iy − 1) / 2.
                int i = iy >> 1;
                bool odd = (iy & 1) != 0, below = odd && i + 1 < height;
                float* yr = dxn + (long)first * dxPlane + (long)iy * dxWidth;
                for (int x0 = 0; x0 < dxWidth; x0 += Segment)
                {
                    int j0 = x0 >> 1;
                    bool right = j0 + 4 < width;
                    float* r0 = dyn + (long)(odd ? i + 1 : i) * width + j0, r1 = dyn + (long)i * width + j0;
                    float* w0 = wg + (odd ? 0 : 3) * lanes, w1 = wg + 6 * lanes;
                    int rows = odd ? (below ? 2 : 1) : 1;
                    if (odd && !below)
                    {
                        r0 = r1; // only tap row 2
                        w0 = w1;
                    }
                    switch ((right ? 1 : 0) | (lanes == Group ? 2 : 0))
                    {
                        case 0: TileS2<No, No>(r0, r1, rows, filters, plane, w0, w1, filterFloats, finish, yr + x0); break;
                        case 1: TileS2<Yes, No>(r0, r1, rows, filters, plane, w0, w1, filterFloats, finish, yr + x0); break;
                        case 2: TileS2<No, Yes>(r0, r1, rows, filters, plane, w0, w1, filterFloats, finish, yr + x0); break;
                        default: TileS2<Yes, Yes>(r0, r1, rows, filters, plane, w0, w1, filterFloats, finish, yr + x0); break;
                    }
                }
            }
        }
    }

    // 8 dx positions 2·j0 … 2·j0 + 7 of one row × one or two vectors of 16 channels (TTwo). r0, r1: dy rows of the first and
    // (when rows is 2) second tap row read, at column j0; w0, w1: those tap rows' weights, [tap column][group width]; both
    // advance by a filter's plane and packed floats. TRight: dy column j0 + 4 exists (feeds the last odd position by tap column 0).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileS2<TRight, TTwo>(float* r0, float* r1, int rows, int filters, int plane, float* w0, float* w1, int filterFloats, in Finish f, float* y)
        where TRight : struct, IFlag where TTwo : struct, IFlag
    {
        int column = TTwo.On ? Group : 16;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int k = 0; k < filters; k++, r0 += plane, r1 += plane, w0 += filterFloats, w1 += filterFloats)
        {
            for (int t = 0; t < rows; t++)
            {
                float* r = t == 0 ? r0 : r1, wr = t == 0 ? w0 : w1;
                Vector512<float> u0 = Vector512.Load(wr), u1 = Vector512.Load(wr + column), u2 = Vector512.Load(wr + 2 * column);
                Vector512<float> v0 = TTwo.On ? Vector512.Load(wr + 16) : default, v1 = TTwo.On ? Vector512.Load(wr + column + 16) : default;
                Vector512<float> v2 = TTwo.On ? Vector512.Load(wr + 2 * column + 16) : default;
                // dy column j0 + m: tap column 0 of odd position 2m − 1, then 1 of even position 2m and 2 of odd position 2m + 1.
                Vector512<float> s = Vector512.Create(r[0]);
                a0 = Fma(s, u1, a0); a1 = Fma(s, u2, a1);
                if (TTwo.On) { b0 = Fma(s, v1, b0); b1 = Fma(s, v2, b1); }
                s = Vector512.Create(r[1]);
                a1 = Fma(s, u0, a1); a2 = Fma(s, u1, a2); a3 = Fma(s, u2, a3);
                if (TTwo.On) { b1 = Fma(s, v0, b1); b2 = Fma(s, v1, b2); b3 = Fma(s, v2, b3); }
                s = Vector512.Create(r[2]);
                a3 = Fma(s, u0, a3); a4 = Fma(s, u1, a4); a5 = Fma(s, u2, a5);
                if (TTwo.On) { b3 = Fma(s, v0, b3); b4 = Fma(s, v1, b4); b5 = Fma(s, v2, b5); }
                s = Vector512.Create(r[3]);
                a5 = Fma(s, u0, a5); a6 = Fma(s, u1, a6); a7 = Fma(s, u2, a7);
                if (TTwo.On) { b5 = Fma(s, v0, b5); b6 = Fma(s, v1, b6); b7 = Fma(s, v2, b7); }
                if (TRight.On)
                {
                    s = Vector512.Create(r[4]);
                    a7 = Fma(s, u0, a7);
                    if (TTwo.On) { b7 = Fma(s, v0, b7); }
                }
            }
        }
        Store(a0, a1, a2, a3, a4, a5, a6, a7, default, default, f, y, null, Math.Min(16, f.Count));
        if (TTwo.On)
        {
            Store(b0, b1, b2, b3, b4, b5, b6, b7, default, default, f, y + 16L * f.Plane, null, f.Count - 16);
        }
    }
}
