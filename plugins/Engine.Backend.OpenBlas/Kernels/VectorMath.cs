using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>Vectorised sums and affine maps that several kernel families share; sums accumulate in double.</summary>
internal static class VectorMath
{
    /// <summary>Σ x accumulated in double (floats are widened, eight lanes at a time or more).</summary>
    public static double SumAsDouble<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
        {
            return TensorPrimitives.Sum(MemoryMarshal.Cast<T, double>(x));
        }
        ReadOnlySpan<float> values = MemoryMarshal.Cast<T, float>(x);
        int width = Vector<float>.Count;
        var low = Vector<double>.Zero;
        var high = Vector<double>.Zero;
        int i = 0;
        for (; i <= values.Length - width; i += width)
        {
            Vector.Widen(new Vector<float>(values[i..]), out Vector<double> lo, out Vector<double> hi);
            low += lo;
            high += hi;
        }
        double total = Vector.Sum(low + high);
        for (; i < values.Length; i++)
        {
            total += values[i];
        }
        return total;
    }

    /// <summary>y ← x·a + b, a vector at a time (y may be x).</summary>
    public static void ScaleShift<T>(ReadOnlySpan<T> x, T a, T b, Span<T> y)
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
    public static double SumSquaredDeviations<T>(ReadOnlySpan<T> x, double mean)
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
    public static void TwoTermAffine<T>(ReadOnlySpan<T> a, T p, ReadOnlySpan<T> b, T q, T r, Span<T> y)
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
    public static (double Sum, double Dot) SumAndDotAsDouble<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
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
}

/// <summary>An N×C×S tensor as N·C contiguous planes of S elements.</summary>
internal readonly record struct ChannelPlanes(int Batch, int Channels, int Spatial)
{
    /// <summary>Plane (sample, channel) of a tensor of this layout.</summary>
    public Span<T> Plane<T>(Span<T> data, int sample, int channel) =>
        data.Slice(((sample * Channels) + channel) * Spatial, Spatial);

    /// <summary>Plane (sample, channel) of a read-only tensor of this layout.</summary>
    public ReadOnlySpan<T> Plane<T>(ReadOnlySpan<T> data, int sample, int channel) =>
        data.Slice(((sample * Channels) + channel) * Spatial, Spatial);
}
