using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Local response normalisation across channels, computed a whole spatial plane at a time so that
/// every step is a vectorised span operation. The window of channel c is
/// [c − ⌊n/2⌋, c + ⌊(n − 1)/2⌋], clipped at the edges (PyTorch's placement; for odd n it is centred,
/// as in Caffe), and the sum of squares is always divided by n.
/// </summary>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale)
    {
        const string op = "LrnForward";
        LrnCheckParameters(op, parameters);
        CpuStorage xs = Check(op, "x", x);
        CpuStorage ys = Check(op, "y", y);
        CpuStorage ss = Check(op, "scale", scale);
        (int batch, int channels, int spatial) = ChannelLayout(op, "x", x);
        SameType(op, "x", x, "y", y);
        SameType(op, "x", x, "scale", scale);
        SameShape(op, "y", y, "x", x);
        SameShape(op, "scale", scale, "x", x);
        NotShared(op, "x", xs, "y", ys);
        NotShared(op, "x", xs, "scale", ss);
        NotShared(op, "y", ys, "scale", ss);
        int n = (int)x.ElementCount;
        var layout = new ChannelPlanes(batch, channels, spatial);
        if (x.DataType == DataType.Float32)
        {
            LrnForwardKernel(layout, parameters, Elements<float>(xs, n), Elements<float>(ys, n), Elements<float>(ss, n));
        }
        else
        {
            LrnForwardKernel(layout, parameters, Elements<double>(xs, n), Elements<double>(ys, n), Elements<double>(ss, n));
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
        GC.KeepAlive(ss);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With s the saved scale, b = a·s^(−β): dx_i = dy_i·s_i^(−β) − (2αβ/n)·a_i·Σ_c dy_c·b_c/s_c, the sum
    /// over the channels c whose window holds i. Uses pooled scratch memory (one sample's worth), so
    /// the steady state allocates nothing.
    /// </remarks>
    public void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx)
    {
        const string op = "LrnBackward";
        LrnCheckParameters(op, parameters);
        CpuStorage xs = Check(op, "x", x);
        CpuStorage ys = Check(op, "y", y);
        CpuStorage ss = Check(op, "scale", scale);
        CpuStorage dys = Check(op, "dy", dy);
        CpuStorage dxs = Check(op, "dx", dx);
        (int batch, int channels, int spatial) = ChannelLayout(op, "x", x);
        SameType(op, "x", x, "y", y);
        SameType(op, "x", x, "scale", scale);
        SameType(op, "x", x, "dy", dy);
        SameType(op, "x", x, "dx", dx);
        SameShape(op, "y", y, "x", x);
        SameShape(op, "scale", scale, "x", x);
        SameShape(op, "dy", dy, "x", x);
        SameShape(op, "dx", dx, "x", x);
        NotShared(op, "dx", dxs, "x", xs);
        NotShared(op, "dx", dxs, "y", ys);
        NotShared(op, "dx", dxs, "scale", ss);
        NotShared(op, "dx", dxs, "dy", dys);
        int n = (int)x.ElementCount;
        var layout = new ChannelPlanes(batch, channels, spatial);
        if (x.DataType == DataType.Float32)
        {
            LrnBackwardKernel(layout, parameters, Elements<float>(xs, n), Elements<float>(ys, n), Elements<float>(ss, n),
                Elements<float>(dys, n), Elements<float>(dxs, n));
        }
        else
        {
            LrnBackwardKernel(layout, parameters, Elements<double>(xs, n), Elements<double>(ys, n), Elements<double>(ss, n),
                Elements<double>(dys, n), Elements<double>(dxs, n));
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
        GC.KeepAlive(ss);
        GC.KeepAlive(dys);
        GC.KeepAlive(dxs);
    }

    private static void LrnCheckParameters(string op, LrnParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Size < 1 || !(p.Alpha >= 0) || !double.IsFinite(p.Alpha) || !double.IsFinite(p.Beta) || !(p.K > 0) || !double.IsFinite(p.K))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p,
                $"{op}: needs size >= 1, finite alpha >= 0, finite beta and finite k > 0 (so the scale stays positive); got size {p.Size}, alpha {p.Alpha}, beta {p.Beta}, k {p.K}");
        }
    }

    private static void LrnForwardKernel<T>(in ChannelPlanes layout, LrnParameters p, ReadOnlySpan<T> x, Span<T> y, Span<T> scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T alphaOverN = T.CreateTruncating(p.Alpha / p.Size), k = T.CreateTruncating(p.K), minusBeta = T.CreateTruncating(-p.Beta);
        for (int i = 0; i < layout.Batch; i++)
        {
            for (int c = 0; c < layout.Channels; c++)
            {
                Span<T> s = layout.Plane(scale, i, c);
                s.Clear();
                int last = Math.Min(layout.Channels - 1, c + ((p.Size - 1) / 2));
                for (int j = Math.Max(0, c - (p.Size / 2)); j <= last; j++)
                {
                    ReadOnlySpan<T> a = layout.Plane(x, i, j);
                    TensorPrimitives.MultiplyAdd(a, a, s, s);
                }
                ScaleShift<T>(s, alphaOverN, k, s);
                Span<T> b = layout.Plane(y, i, c);
                TensorPrimitives.Pow(s, minusBeta, b);
                TensorPrimitives.Multiply(b, layout.Plane(x, i, c), b);
            }
        }
    }

    private static void LrnBackwardKernel<T>(in ChannelPlanes layout, LrnParameters p, ReadOnlySpan<T> x, ReadOnlySpan<T> y,
        ReadOnlySpan<T> scale, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T minusBeta = T.CreateTruncating(-p.Beta), minusCoefficient = T.CreateTruncating(-2 * p.Alpha * p.Beta / p.Size);
        int sampleLength = layout.Channels * layout.Spatial;
        T[] rented = ArrayPool<T>.Shared.Rent(sampleLength + layout.Spatial);
        try
        {
            // t holds dy_c·b_c/s_c for one sample; sum collects the window sums for one channel.
            var t = new ChannelPlanes(1, layout.Channels, layout.Spatial);
            Span<T> tData = rented.AsSpan(0, sampleLength);
            Span<T> sum = rented.AsSpan(sampleLength, layout.Spatial);
            for (int i = 0; i < layout.Batch; i++)
            {
                for (int c = 0; c < layout.Channels; c++)
                {
                    Span<T> tc = t.Plane(tData, 0, c);
                    TensorPrimitives.Multiply(layout.Plane(dy, i, c), layout.Plane(y, i, c), tc);
                    TensorPrimitives.Divide(tc, layout.Plane(scale, i, c), tc);
                }
                for (int c = 0; c < layout.Channels; c++)
                {
                    // Channels whose window [j − ⌊n/2⌋, j + ⌊(n−1)/2⌋] holds c.
                    sum.Clear();
                    int last = Math.Min(layout.Channels - 1, c + (p.Size / 2));
                    for (int j = Math.Max(0, c - ((p.Size - 1) / 2)); j <= last; j++)
                    {
                        TensorPrimitives.Add(sum, t.Plane(tData, 0, j), sum);
                    }
                    Span<T> g = layout.Plane(dx, i, c);
                    TensorPrimitives.Pow(layout.Plane(scale, i, c), minusBeta, g);
                    TensorPrimitives.Multiply(g, layout.Plane(dy, i, c), g);
                    TensorPrimitives.Multiply(sum, layout.Plane(x, i, c), sum);
                    TensorPrimitives.MultiplyAdd(sum, minusCoefficient, g, g);
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }
}
