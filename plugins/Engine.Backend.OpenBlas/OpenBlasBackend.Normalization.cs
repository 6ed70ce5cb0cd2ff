using System.Numerics;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Batch normalisation per channel. A tensor N×C×… is read as N·C contiguous planes of S spatial
/// elements; a channel's statistics run over its N planes. Sums are accumulated in double for both
/// data types, the variance in a second pass over (x − mean)² so it does not cancel, and the
/// per-element work is one vectorised multiply-add per plane.
/// </summary>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    /// <remarks>
    /// Training needs at least two values per channel (N·S ≥ 2), as the unbiased variance does.
    /// x and y may be the same tensor.
    /// </remarks>
    public void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training)
    {
        const string op = "BatchNormForward";
        CpuStorage xs = Check(op, "x", x);
        CpuStorage ys = Check(op, "y", y);
        CpuStorage gs = Check(op, "gamma", gamma);
        CpuStorage bs = Check(op, "beta", beta);
        CpuStorage rms = Check(op, "runningMean", runningMean);
        CpuStorage rvs = Check(op, "runningVariance", runningVariance);
        CpuStorage sms = Check(op, "savedMean", savedMean);
        CpuStorage sis = Check(op, "savedInvStd", savedInvStd);
        (int batch, int channels, int spatial) = ChannelLayout(op, "x", x);
        SameType(op, "x", x, "y", y);
        SameShape(op, "y", y, "x", x);
        ChannelVector(op, x, channels, "gamma", gamma);
        ChannelVector(op, x, channels, "beta", beta);
        ChannelVector(op, x, channels, "runningMean", runningMean);
        ChannelVector(op, x, channels, "runningVariance", runningVariance);
        ChannelVector(op, x, channels, "savedMean", savedMean);
        ChannelVector(op, x, channels, "savedInvStd", savedInvStd);
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"{op}: epsilon must be a finite number > 0");
        }
        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{op}: momentum must be in [0, 1]");
        }
        if (training && (long)batch * spatial < 2)
        {
            throw new ShapeException($"{op}: x is {x.Shape}, which has {(long)batch * spatial} value(s) per channel; training needs at least 2 to estimate a variance");
        }
        int n = (int)x.ElementCount;
        var layout = new ChannelPlanes(batch, channels, spatial);
        if (x.DataType == DataType.Float32)
        {
            BatchNormForwardKernel(layout, Elements<float>(xs, n), Elements<float>(gs, channels), Elements<float>(bs, channels),
                Elements<float>(rms, channels), Elements<float>(rvs, channels), Elements<float>(sms, channels), Elements<float>(sis, channels),
                Elements<float>(ys, n), epsilon, momentum, training);
        }
        else
        {
            BatchNormForwardKernel(layout, Elements<double>(xs, n), Elements<double>(gs, channels), Elements<double>(bs, channels),
                Elements<double>(rms, channels), Elements<double>(rvs, channels), Elements<double>(sms, channels), Elements<double>(sis, channels),
                Elements<double>(ys, n), epsilon, momentum, training);
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
        GC.KeepAlive(gs);
        GC.KeepAlive(bs);
        GC.KeepAlive(rms);
        GC.KeepAlive(rvs);
        GC.KeepAlive(sms);
        GC.KeepAlive(sis);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With x̂ = (x − μ)·s (s the saved 1/√(var + ε)) and M = N·S values per channel:
    /// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·s·(dy − dβ/M − x̂·dγ/M). dx must not share memory with x or dy.
    /// </remarks>
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta)
    {
        const string op = "BatchNormBackward";
        CpuStorage xs = Check(op, "x", x);
        CpuStorage dys = Check(op, "dy", dy);
        CpuStorage gs = Check(op, "gamma", gamma);
        CpuStorage sms = Check(op, "savedMean", savedMean);
        CpuStorage sis = Check(op, "savedInvStd", savedInvStd);
        CpuStorage dxs = Check(op, "dx", dx);
        CpuStorage dgs = Check(op, "dGamma", dGamma);
        CpuStorage dbs = Check(op, "dBeta", dBeta);
        (int batch, int channels, int spatial) = ChannelLayout(op, "x", x);
        SameType(op, "x", x, "dy", dy);
        SameType(op, "x", x, "dx", dx);
        SameShape(op, "dy", dy, "x", x);
        SameShape(op, "dx", dx, "x", x);
        ChannelVector(op, x, channels, "gamma", gamma);
        ChannelVector(op, x, channels, "savedMean", savedMean);
        ChannelVector(op, x, channels, "savedInvStd", savedInvStd);
        ChannelVector(op, x, channels, "dGamma", dGamma);
        ChannelVector(op, x, channels, "dBeta", dBeta);
        NotShared(op, "dx", dxs, "x", xs);
        NotShared(op, "dx", dxs, "dy", dys);
        int n = (int)x.ElementCount;
        var layout = new ChannelPlanes(batch, channels, spatial);
        if (x.DataType == DataType.Float32)
        {
            BatchNormBackwardKernel(layout, Elements<float>(xs, n), Elements<float>(dys, n), Elements<float>(gs, channels),
                Elements<float>(sms, channels), Elements<float>(sis, channels), Elements<float>(dxs, n),
                Elements<float>(dgs, channels), Elements<float>(dbs, channels));
        }
        else
        {
            BatchNormBackwardKernel(layout, Elements<double>(xs, n), Elements<double>(dys, n), Elements<double>(gs, channels),
                Elements<double>(sms, channels), Elements<double>(sis, channels), Elements<double>(dxs, n),
                Elements<double>(dgs, channels), Elements<double>(dbs, channels));
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(dys);
        GC.KeepAlive(gs);
        GC.KeepAlive(sms);
        GC.KeepAlive(sis);
        GC.KeepAlive(dxs);
        GC.KeepAlive(dgs);
        GC.KeepAlive(dbs);
    }

    /// <summary>Checks a per-channel vector operand: same data type as x and C elements.</summary>
    private static void ChannelVector(string op, Tensor x, int channels, string name, Tensor vector)
    {
        SameType(op, "x", x, name, vector);
        if (vector.ElementCount != channels)
        {
            throw new ShapeException($"{op}: x is {x.Shape} with {channels} channels but {name} {Describe(vector)}");
        }
    }

    private static void BatchNormForwardKernel<T>(in ChannelPlanes layout, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVariance, Span<T> savedMean, Span<T> savedInvStd, Span<T> y,
        double epsilon, double momentum, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)layout.Batch * layout.Spatial;
        for (int c = 0; c < layout.Channels; c++)
        {
            double mean, invStd;
            if (training)
            {
                double sum = 0;
                for (int i = 0; i < layout.Batch; i++)
                {
                    sum += SumAsDouble(layout.Plane(x, i, c));
                }
                mean = sum / count;
                double squares = 0;
                for (int i = 0; i < layout.Batch; i++)
                {
                    squares += SumSquaredDeviations(layout.Plane(x, i, c), mean);
                }
                double variance = squares / count;
                invStd = 1.0 / Math.Sqrt(variance + epsilon);
                savedMean[c] = T.CreateTruncating(mean);
                savedInvStd[c] = T.CreateTruncating(invStd);
                // PyTorch's rule: the running variance takes the unbiased estimate.
                double unbiased = squares / (count - 1);
                runningMean[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningMean[c])) + (momentum * mean));
                runningVariance[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningVariance[c])) + (momentum * unbiased));
            }
            else
            {
                mean = double.CreateTruncating(runningMean[c]);
                invStd = 1.0 / Math.Sqrt(double.CreateTruncating(runningVariance[c]) + epsilon);
            }
            // y = γ(x − μ)s + β = x·a + b.
            double a = double.CreateTruncating(gamma[c]) * invStd;
            T scale = T.CreateTruncating(a);
            T shift = T.CreateTruncating(double.CreateTruncating(beta[c]) - (mean * a));
            for (int i = 0; i < layout.Batch; i++)
            {
                ScaleShift(layout.Plane(x, i, c), scale, shift, layout.Plane(y, i, c));
            }
        }
    }

    private static void BatchNormBackwardKernel<T>(in ChannelPlanes layout, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> savedMean, ReadOnlySpan<T> savedInvStd, Span<T> dx, Span<T> dGamma, Span<T> dBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)layout.Batch * layout.Spatial;
        for (int c = 0; c < layout.Channels; c++)
        {
            double mean = double.CreateTruncating(savedMean[c]);
            double invStd = double.CreateTruncating(savedInvStd[c]);
            double sumDy = 0, sumDyX = 0;
            for (int i = 0; i < layout.Batch; i++)
            {
                (double planeSum, double planeDot) = SumAndDotAsDouble(layout.Plane(dy, i, c), layout.Plane(x, i, c));
                sumDy += planeSum;
                sumDyX += planeDot;
            }
            // Σ dy·x̂ = s·(Σ dy·x − μ·Σ dy).
            double dg = invStd * (sumDyX - (mean * sumDy));
            dGamma[c] = T.CreateTruncating(dg);
            dBeta[c] = T.CreateTruncating(sumDy);
            // dx = k1·dy + k2·x + k3 with k1 = γs, k2 = −γs²·dγ/M, k3 = −γs·dβ/M − k2·μ.
            double k1 = double.CreateTruncating(gamma[c]) * invStd;
            double k2 = -k1 * invStd * dg / count;
            double k3 = (-k1 * sumDy / count) - (k2 * mean);
            T t1 = T.CreateTruncating(k1), t2 = T.CreateTruncating(k2), t3 = T.CreateTruncating(k3);
            for (int i = 0; i < layout.Batch; i++)
            {
                TwoTermAffine(layout.Plane(dy, i, c), t1, layout.Plane(x, i, c), t2, t3, layout.Plane(dx, i, c));
            }
        }
    }

    /// <summary>y ← x·a + b, a vector at a time (y may be x).</summary>
    private static void ScaleShift<T>(ReadOnlySpan<T> x, T a, T b, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var va = new Vector<T>(a);
        var vb = new Vector<T>(b);
        int i = 0;
        for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
        {
            ((new Vector<T>(x[i..]) * va) + vb).CopyTo(y[i..]);
        }
        for (; i < x.Length; i++)
        {
            y[i] = (x[i] * a) + b;
        }
    }

    /// <summary>Σ (x − mean)² accumulated in double (floats widened a vector at a time).</summary>
    private static double SumSquaredDeviations<T>(ReadOnlySpan<T> x, double mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = new Vector<double>(mean);
        var total = Vector<double>.Zero;
        int i = 0;
        if (typeof(T) == typeof(double))
        {
            ReadOnlySpan<double> values = MemoryMarshal.Cast<T, double>(x);
            for (; i <= values.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                Vector<double> d = new Vector<double>(values[i..]) - m;
                total += d * d;
            }
        }
        else
        {
            ReadOnlySpan<float> values = MemoryMarshal.Cast<T, float>(x);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(values[i..]), out Vector<double> lo, out Vector<double> hi);
                lo -= m;
                hi -= m;
                total += (lo * lo) + (hi * hi);
            }
        }
        double sum = Vector.Sum(total);
        for (; i < x.Length; i++)
        {
            double d = double.CreateTruncating(x[i]) - mean;
            sum += d * d;
        }
        return sum;
    }

    /// <summary>y ← a·p + b·q + r, a vector at a time: batch norm's dx in one pass.</summary>
    private static void TwoTermAffine<T>(ReadOnlySpan<T> a, T p, ReadOnlySpan<T> b, T q, T r, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var vp = new Vector<T>(p);
        var vq = new Vector<T>(q);
        var vr = new Vector<T>(r);
        int i = 0;
        for (; i <= a.Length - Vector<T>.Count; i += Vector<T>.Count)
        {
            ((new Vector<T>(a[i..]) * vp) + (new Vector<T>(b[i..]) * vq) + vr).CopyTo(y[i..]);
        }
        for (; i < a.Length; i++)
        {
            y[i] = (a[i] * p) + (b[i] * q) + r;
        }
    }

    /// <summary>(Σ a, Σ a·b) in one pass, accumulated in double (floats widened a vector at a time).</summary>
    private static (double Sum, double Dot) SumAndDotAsDouble<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sum = Vector<double>.Zero;
        var dot = Vector<double>.Zero;
        int i = 0;
        if (typeof(T) == typeof(double))
        {
            ReadOnlySpan<double> va = MemoryMarshal.Cast<T, double>(a), vb = MemoryMarshal.Cast<T, double>(b);
            for (; i <= va.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var left = new Vector<double>(va[i..]);
                sum += left;
                dot += left * new Vector<double>(vb[i..]);
            }
        }
        else
        {
            ReadOnlySpan<float> va = MemoryMarshal.Cast<T, float>(a), vb = MemoryMarshal.Cast<T, float>(b);
            for (; i <= va.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(va[i..]), out Vector<double> alo, out Vector<double> ahi);
                Vector.Widen(new Vector<float>(vb[i..]), out Vector<double> blo, out Vector<double> bhi);
                sum += alo + ahi;
                dot += (alo * blo) + (ahi * bhi);
            }
        }
        double totalSum = Vector.Sum(sum), totalDot = Vector.Sum(dot);
        for (; i < a.Length; i++)
        {
            double left = double.CreateTruncating(a[i]);
            totalSum += left;
            totalDot += left * double.CreateTruncating(b[i]);
        }
        return (totalSum, totalDot);
    }

    /// <summary>An N×C×S tensor as N·C contiguous planes of S elements.</summary>
    private readonly record struct ChannelPlanes(int Batch, int Channels, int Spatial)
    {
        public Span<T> Plane<T>(Span<T> data, int sample, int channel) =>
            data.Slice(((sample * Channels) + channel) * Spatial, Spatial);

        public ReadOnlySpan<T> Plane<T>(ReadOnlySpan<T> data, int sample, int channel) =>
            data.Slice(((sample * Channels) + channel) * Spatial, Spatial);
    }
}
