using System.Numerics;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Max and average pooling over 1 to 3 spatial axes. Every rank runs through one 3-D kernel (missing
/// leading axes have size 1, window 1, stride 1), with a fast path for the ubiquitous 2×2 stride-2
/// window without padding.
/// </summary>
/// <remarks>
/// Conventions every backend must share: padding never takes part in a max (a window that holds only
/// padding gives 0 and routes no gradient); max backward sends each dy to the first maximum of its
/// window in scan order (depth, row, column), a NaN counting as the maximum; average pooling divides
/// by the whole window with <see cref="PoolingGeometry.CountIncludePad"/>, otherwise by the number of
/// real elements in the window (0 when there are none). Dilation is honoured; groups are ignored.
/// </remarks>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y)
    {
        const string op = "PoolingForward";
        ArgumentNullException.ThrowIfNull(geometry);
        CpuStorage xs = Check(op, "x", x);
        CpuStorage ys = Check(op, "y", y);
        SameType(op, "x", x, "y", y);
        NotShared(op, "x", xs, "y", ys);
        PoolPlan plan = PoolPlan.Create(op, geometry, x, "y", y);
        int nx = (int)x.ElementCount, ny = (int)y.ElementCount;
        if (plan.IsTwoByTwo)
        {
            unsafe
            {
                bool max = geometry.Mode == PoolingMode.Max;
                if (x.DataType == DataType.Float32)
                {
                    ParallelPoolForwardTwoByTwo(plan, max, (float*)xs.Pointer, (float*)ys.Pointer);
                }
                else
                {
                    ParallelPoolForwardTwoByTwo(plan, max, (double*)xs.Pointer, (double*)ys.Pointer);
                }
            }
        }
        else if (x.DataType == DataType.Float32)
        {
            PoolForwardKernel(plan, geometry, Elements<float>(xs, nx), Elements<float>(ys, ny));
        }
        else
        {
            PoolForwardKernel(plan, geometry, Elements<double>(xs, nx), Elements<double>(ys, ny));
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
    }

    /// <inheritdoc/>
    /// <remarks>The arg-max is found again from x, so y is only checked for its shape.</remarks>
    public void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        const string op = "PoolingBackward";
        ArgumentNullException.ThrowIfNull(geometry);
        CpuStorage xs = Check(op, "x", x);
        Check(op, "y", y);
        CpuStorage dys = Check(op, "dy", dy);
        CpuStorage dxs = Check(op, "dx", dx);
        SameType(op, "x", x, "y", y);
        SameType(op, "x", x, "dy", dy);
        SameType(op, "x", x, "dx", dx);
        PoolPlan plan = PoolPlan.Create(op, geometry, x, "y", y);
        SameShape(op, "dy", dy, "y", y);
        SameShape(op, "dx", dx, "x", x);
        NotShared(op, "dx", dxs, "dy", dys);
        NotShared(op, "dx", dxs, "x", xs);
        int nx = (int)x.ElementCount, ny = (int)y.ElementCount;
        if (plan.IsTwoByTwo)
        {
            unsafe
            {
                bool max = geometry.Mode == PoolingMode.Max;
                if (x.DataType == DataType.Float32)
                {
                    ParallelPoolBackwardTwoByTwo(plan, max, (float*)xs.Pointer, (float*)dys.Pointer, (float*)dxs.Pointer);
                }
                else
                {
                    ParallelPoolBackwardTwoByTwo(plan, max, (double*)xs.Pointer, (double*)dys.Pointer, (double*)dxs.Pointer);
                }
            }
        }
        else if (x.DataType == DataType.Float32)
        {
            PoolBackwardKernel(plan, geometry, Elements<float>(xs, nx), Elements<float>(dys, ny), Elements<float>(dxs, nx));
        }
        else
        {
            PoolBackwardKernel(plan, geometry, Elements<double>(xs, nx), Elements<double>(dys, ny), Elements<double>(dxs, nx));
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(dys);
        GC.KeepAlive(dxs);
    }

    private static void SameShape(string op, string firstName, Tensor first, string secondName, Tensor second)
    {
        if (first.Shape != second.Shape)
        {
            throw new ShapeException($"{op}: {firstName} is {first.Shape} but {secondName} is {second.Shape}; they must have the same shape");
        }
    }

    private static void PoolForwardKernel<T>(in PoolPlan p, PoolingGeometry geometry, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool max = geometry.Mode == PoolingMode.Max;
        if (p.IsTwoByTwo)
        {
            PoolForwardTwoByTwo(p, max, x, y);
            return;
        }
        T fullWindow = T.CreateTruncating(p.KD * p.KH * p.KW);
        for (int plane = 0; plane < p.Planes; plane++)
        {
            ReadOnlySpan<T> xp = x.Slice(plane * p.InVolume, p.InVolume);
            Span<T> yp = y.Slice(plane * p.OutVolume, p.OutVolume);
            int o = 0;
            for (int od = 0; od < p.OutD; od++)
            {
                (int d0, int d1) = Taps(od, p.SD, p.PD, p.KD, p.DD, p.InD);
                for (int oh = 0; oh < p.OutH; oh++)
                {
                    (int h0, int h1) = Taps(oh, p.SH, p.PH, p.KH, p.DH, p.InH);
                    for (int ow = 0; ow < p.OutW; ow++, o++)
                    {
                        (int w0, int w1) = Taps(ow, p.SW, p.PW, p.KW, p.DW, p.InW);
                        int count = ((d1 - d0) / p.DD) * ((h1 - h0) / p.DH) * ((w1 - w0) / p.DW);
                        if (count == 0)
                        {
                            yp[o] = T.Zero;
                            continue;
                        }
                        if (max)
                        {
                            yp[o] = xp[ArgMax(xp, p, d0, d1, h0, h1, w0, w1)];
                            continue;
                        }
                        T sum = T.Zero;
                        for (int d = d0; d < d1; d += p.DD)
                        {
                            for (int h = h0; h < h1; h += p.DH)
                            {
                                int row = ((d * p.InH) + h) * p.InW;
                                for (int w = w0; w < w1; w += p.DW)
                                {
                                    sum += xp[row + w];
                                }
                            }
                        }
                        yp[o] = sum / (geometry.CountIncludePad ? fullWindow : T.CreateTruncating(count));
                    }
                }
            }
        }
    }

    private static void PoolBackwardKernel<T>(in PoolPlan p, PoolingGeometry geometry, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool max = geometry.Mode == PoolingMode.Max;
        if (p.IsTwoByTwo)
        {
            PoolBackwardTwoByTwo(p, max, x, dy, dx);
            return;
        }
        // Windows may overlap (stride < window), so gradients accumulate into a cleared dx.
        dx.Clear();
        T fullWindow = T.CreateTruncating(p.KD * p.KH * p.KW);
        for (int plane = 0; plane < p.Planes; plane++)
        {
            ReadOnlySpan<T> xp = x.Slice(plane * p.InVolume, p.InVolume);
            Span<T> dxp = dx.Slice(plane * p.InVolume, p.InVolume);
            ReadOnlySpan<T> dyp = dy.Slice(plane * p.OutVolume, p.OutVolume);
            int o = 0;
            for (int od = 0; od < p.OutD; od++)
            {
                (int d0, int d1) = Taps(od, p.SD, p.PD, p.KD, p.DD, p.InD);
                for (int oh = 0; oh < p.OutH; oh++)
                {
                    (int h0, int h1) = Taps(oh, p.SH, p.PH, p.KH, p.DH, p.InH);
                    for (int ow = 0; ow < p.OutW; ow++, o++)
                    {
                        (int w0, int w1) = Taps(ow, p.SW, p.PW, p.KW, p.DW, p.InW);
                        int count = ((d1 - d0) / p.DD) * ((h1 - h0) / p.DH) * ((w1 - w0) / p.DW);
                        if (count == 0)
                        {
                            continue;
                        }
                        if (max)
                        {
                            dxp[ArgMax(xp, p, d0, d1, h0, h1, w0, w1)] += dyp[o];
                            continue;
                        }
                        T share = dyp[o] / (geometry.CountIncludePad ? fullWindow : T.CreateTruncating(count));
                        for (int d = d0; d < d1; d += p.DD)
                        {
                            for (int h = h0; h < h1; h += p.DH)
                            {
                                int row = ((d * p.InH) + h) * p.InW;
                                for (int w = w0; w < w1; w += p.DW)
                                {
                                    dxp[row + w] += share;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The real (non-padding) taps of output position <paramref name="o"/> on one axis, as input
    /// coordinates [first, end) stepping by the dilation: end − first is a multiple of the dilation.
    /// </summary>
    private static (int First, int End) Taps(int o, int stride, int pad, int kernel, int dilation, int input)
    {
        int start = (o * stride) - pad;
        // First tap t with start + t·dilation >= 0, and one past the last with start + t·dilation < input.
        int tFirst = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int tEnd = input - start <= 0 ? 0 : Math.Min(kernel, (input - start + dilation - 1) / dilation);
        if (tEnd <= tFirst)
        {
            return (0, 0);
        }
        return (start + (tFirst * dilation), start + (tEnd * dilation));
    }

    /// <summary>Plane offset of the first maximum of a window in scan order; a NaN wins over numbers.</summary>
    private static int ArgMax<T>(ReadOnlySpan<T> xp, in PoolPlan p, int d0, int d1, int h0, int h1, int w0, int w1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = ((d0 * p.InH) + h0) * p.InW + w0;
        T bestValue = xp[best];
        for (int d = d0; d < d1; d += p.DD)
        {
            for (int h = h0; h < h1; h += p.DH)
            {
                int row = ((d * p.InH) + h) * p.InW;
                for (int w = w0; w < w1; w += p.DW)
                {
                    // Selects on the index and reloads the value: random data makes a branch here
                    // mispredict about as often as not, which costs more than the reload.
                    best = Beats(xp[row + w], bestValue) ? row + w : best;
                    bestValue = xp[best];
                }
            }
        }
        return best;
    }

    /// <summary>Strictly greater (so ties keep the first), or the first NaN.</summary>
    /// <remarks>Non-short-circuit operators keep it free of branches.</remarks>
    private static bool Beats<T>(T candidate, T best) where T : unmanaged, IFloatingPointIeee754<T> =>
        (candidate > best) | (T.IsNaN(candidate) & !T.IsNaN(best));

    /// <summary>
    /// Offset (from the top-left element) of the first maximum of a 2×2 window whose rows start at
    /// <paramref name="top"/> and top + <paramref name="width"/>: 0, 1, width or width + 1. Each
    /// row's winner is picked first, then the rows, which keeps scan order on ties; only indices
    /// are selected, so there are no data-dependent branches.
    /// </summary>
    private static int TwoByTwoArgMax<T>(ReadOnlySpan<T> x, int top, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int upper = Beats(x[top + 1], x[top]) ? 1 : 0;
        int lower = width + (Beats(x[top + width + 1], x[top + width]) ? 1 : 0);
        return Beats(x[top + lower], x[top + upper]) ? lower : upper;
    }

    private static void PoolForwardTwoByTwo<T>(in PoolPlan p, bool max, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = p.Planes * p.InD, width = p.InW, planeIn = p.InH * p.InW, planeOut = p.OutH * p.OutW;
        T quarter = T.CreateTruncating(0.25);
        for (int plane = 0; plane < planes; plane++)
        {
            for (int oh = 0; oh < p.OutH; oh++)
            {
                int top = (plane * planeIn) + (2 * oh * width);
                Span<T> yr = y.Slice((plane * planeOut) + (oh * p.OutW), p.OutW);
                if (max)
                {
                    int done = typeof(T) == typeof(float)
                        ? MaxPoolTwoByTwoRowForward(MemoryMarshal.Cast<T, float>(x.Slice(top, width)),
                            MemoryMarshal.Cast<T, float>(x.Slice(top + width, width)), MemoryMarshal.Cast<T, float>(yr))
                        : 0;
                    for (int ow = done; ow < yr.Length; ow++)
                    {
                        int at = top + (2 * ow);
                        yr[ow] = x[at + TwoByTwoArgMax(x, at, width)];
                    }
                    continue;
                }
                ReadOnlySpan<T> r0 = x.Slice(top, width);
                ReadOnlySpan<T> r1 = x.Slice(top + width, width);
                for (int ow = 0; ow < yr.Length; ow++)
                {
                    yr[ow] = (r0[2 * ow] + r0[(2 * ow) + 1] + r1[2 * ow] + r1[(2 * ow) + 1]) * quarter;
                }
            }
        }
    }

    private static void PoolBackwardTwoByTwo<T>(in PoolPlan p, bool max, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Windows tile the input without overlap, so each covered element is written exactly once;
        // only an odd last row or column is left uncovered and needs clearing.
        if ((p.InH & 1) != 0 || (p.InW & 1) != 0)
        {
            dx.Clear();
        }
        int planes = p.Planes * p.InD, width = p.InW, planeIn = p.InH * p.InW, planeOut = p.OutH * p.OutW;
        T quarter = T.CreateTruncating(0.25);
        for (int plane = 0; plane < planes; plane++)
        {
            for (int oh = 0; oh < p.OutH; oh++)
            {
                int first = (plane * planeIn) + (2 * oh * width);
                Span<T> g0 = dx.Slice(first, width);
                Span<T> g1 = dx.Slice(first + width, width);
                ReadOnlySpan<T> gy = dy.Slice((plane * planeOut) + (oh * p.OutW), p.OutW);
                int done = max && typeof(T) == typeof(float)
                    ? MaxPoolTwoByTwoRowBackward(MemoryMarshal.Cast<T, float>(x.Slice(first, width)), MemoryMarshal.Cast<T, float>(x.Slice(first + width, width)),
                        MemoryMarshal.Cast<T, float>(gy), MemoryMarshal.Cast<T, float>(g0), MemoryMarshal.Cast<T, float>(g1))
                    : 0;
                for (int ow = done; ow < gy.Length; ow++)
                {
                    int i = 2 * ow;
                    T g = gy[ow];
                    if (!max)
                    {
                        T share = g * quarter;
                        g0[i] = share;
                        g0[i + 1] = share;
                        g1[i] = share;
                        g1[i + 1] = share;
                        continue;
                    }
                    // Clear the window, then route dy to the same element the forward pass took.
                    g0[i] = T.Zero;
                    g0[i + 1] = T.Zero;
                    g1[i] = T.Zero;
                    g1[i + 1] = T.Zero;
                    dx[first + i + TwoByTwoArgMax(x, first + i, width)] = g;
                }
            }
        }
    }

    /// <summary>
    /// A pooling problem seen as N·C independent 3-D planes (depth, height, width): 1-D and 2-D
    /// windows get leading axes of size 1. Built and validated without allocating.
    /// </summary>
    private readonly record struct PoolPlan(
        int Planes,
        int InD, int InH, int InW,
        int OutD, int OutH, int OutW,
        int KD, int KH, int KW,
        int SD, int SH, int SW,
        int PD, int PH, int PW,
        int DD, int DH, int DW,
        bool IsTwoByTwo)
    {
        public int InVolume => InD * InH * InW;

        public int OutVolume => OutD * OutH * OutW;

        public static PoolPlan Create(string op, PoolingGeometry geometry, Tensor x, string outputName, Tensor y)
        {
            if (!Enum.IsDefined(geometry.Mode))
            {
                throw new ArgumentOutOfRangeException(nameof(geometry), geometry.Mode, $"{op}: unknown pooling mode");
            }
            ConvolutionGeometry g = geometry.Window;
            int rank = g.SpatialRank;
            ReadOnlySpan<int> xd = x.Shape.AsSpan();
            ReadOnlySpan<int> yd = y.Shape.AsSpan();
            if (xd.Length != rank + 2)
            {
                throw new ShapeException($"{op}: x is {x.Shape} but a window over {rank} spatial axes needs N×C×{rank} spatial axes ({rank + 2} dimensions)");
            }
            bool fits = yd.Length == rank + 2 && yd[0] == xd[0] && yd[1] == xd[1];
            Span<int> input = [1, 1, 1];
            Span<int> output = [1, 1, 1];
            Span<int> kernel = [1, 1, 1];
            Span<int> stride = [1, 1, 1];
            Span<int> padBefore = [0, 0, 0];
            Span<int> dilation = [1, 1, 1];
            for (int axis = 0; axis < rank; axis++)
            {
                int at = 3 - rank + axis;
                input[at] = xd[axis + 2];
                kernel[at] = g.Kernel[axis];
                stride[at] = g.Stride[axis];
                padBefore[at] = g.PadBefore[axis];
                dilation[at] = g.Dilation[axis];
                try
                {
                    output[at] = ConvolutionGeometry.OutputSize(input[at], kernel[at], stride[at], padBefore[at], g.PadAfter[axis], dilation[at]);
                }
                catch (ShapeException e)
                {
                    throw new ShapeException($"{op}: x is {x.Shape}, {g}: spatial axis {axis}: {e.Message}");
                }
                fits &= yd.Length == rank + 2 && yd[axis + 2] == output[at];
            }
            if (!fits)
            {
                string expected = $"[{xd[0]}, {xd[1]}, {string.Join(", ", output[(3 - rank)..].ToArray())}]";
                throw new ShapeException($"{op}: x is {x.Shape} and the window is {g}, so {outputName} must be {expected}, but it is {y.Shape}");
            }
            bool noPadding = true;
            for (int axis = 0; axis < rank; axis++)
            {
                noPadding &= g.PadBefore[axis] == 0 && g.PadAfter[axis] == 0;
            }
            bool twoByTwo = noPadding && kernel[0] == 1 && stride[0] == 1
                && kernel[1] == 2 && kernel[2] == 2 && stride[1] == 2 && stride[2] == 2
                && dilation[1] == 1 && dilation[2] == 1;
            return new PoolPlan(xd[0] * xd[1],
                input[0], input[1], input[2], output[0], output[1], output[2],
                kernel[0], kernel[1], kernel[2], stride[0], stride[1], stride[2],
                padBefore[0], padBefore[1], padBefore[2], dilation[0], dilation[1], dilation[2], twoByTwo);
        }
    }
}
