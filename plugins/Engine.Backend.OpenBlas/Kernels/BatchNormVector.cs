using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Float batch norm at 512 bits in the fewest passes over a channel's planes: training forward reads
/// x twice (Σ(x − k) and Σ(x − k)² in one pass, k the channel's first element so the variance does
/// not cancel, then y = x·a + b), backward reads dy and x twice (Σ dy and Σ dy·(x − μ), then dx).
/// The plain path (<see cref="NormalizationKernels"/>) reads x three times in forward and widens at
/// <c>Vector&lt;T&gt;</c>'s 256 bits; <c>ENGINE_BATCH_NORM=plain</c> keeps it. Sums stay in double
/// and run in a fixed order, so results are the same at any thread count; they differ from the plain
/// path's in the last bits (one-pass shifted variance, fused multiply-adds), tested within 1e-5.
/// The per-channel map y = x·a + b is computed from the saved (rounded) mean and 1/σ, so backward can
/// recompute a and b bit for bit: with ReLU fused (<see cref="OpenBlasBackend.FusesBatchNormRelu"/>),
/// forward writes max(x·a + b, 0) and backward applies the mask [x·a + b &gt; 0] to dy as it reads it,
/// the bits of the ReLU layer's passes without them.
/// </summary>
internal static unsafe class BatchNormVector
{
    /// <summary>Whether float batch norm takes this path: AVX-512 present and not switched off.</summary>
    public static bool Enabled { get; } = Vector512.IsHardwareAccelerated
        && Environment.GetEnvironmentVariable("ENGINE_BATCH_NORM") != "plain";

    /// <summary>Training forward of channels [first, end): statistics, running statistics and y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in ChannelPlanes layout, int first, int end, float* x, float* gamma, float* beta, float* runningMean,
        float* runningVariance, float* savedMean, float* savedInvStd, float* y, double epsilon, double momentum, bool relu)
    {
        int s = layout.Spatial;
        double count = (double)layout.Batch * s;
        for (int c = first; c < end; c++)
        {
            double shift = x[(long)c * s];
            double s1 = 0, s2 = 0;
            for (int i = 0; i < layout.Batch; i++)
            {
                ShiftedMoments(x + PlaneOffset(layout, i, c), s, shift, ref s1, ref s2);
            }
            double meanShifted = s1 / count;
            double mean = shift + meanShifted;
            double squares = Math.Max(0, s2 - (s1 * meanShifted));
            double invStd = 1.0 / Math.Sqrt((squares / count) + epsilon);
            savedMean[c] = (float)mean;
            savedInvStd[c] = (float)invStd;
            // PyTorch's rule: the running variance takes the unbiased estimate.
            runningMean[c] = (float)(((1 - momentum) * runningMean[c]) + (momentum * mean));
            runningVariance[c] = (float)(((1 - momentum) * runningVariance[c]) + (momentum * squares / (count - 1)));
            (float scale, float offset) = Affine(gamma[c], beta[c], savedMean[c], savedInvStd[c]);
            for (int i = 0; i < layout.Batch; i++)
            {
                long at = PlaneOffset(layout, i, c);
                if (relu)
                {
                    ScaleShiftRelu(x + at, s, scale, offset, y + at);
                }
                else
                {
                    ScaleShift(x + at, s, scale, offset, y + at);
                }
            }
        }
    }

    /// <summary>y = x·scale + offset of a channel, from its saved statistics (as forward and the fused backward both compute it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Scale, float Offset) Affine(float gamma, float beta, double mean, double invStd)
    {
        double a = gamma * invStd;
        return ((float)a, (float)(beta - (mean * a)));
    }

    /// <summary>dx, dγ, dβ of channels [first, end) from the saved statistics.</summary>
    /// <remarks>With <paramref name="relu"/>, dy is the gradient of max(bn(x), 0): it is masked by [x·a + b &gt; 0] (a, b from γ, β and the statistics) as it is read.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(in ChannelPlanes layout, int first, int end, float* x, float* dy, float* gamma, float* beta, float* savedMean, float* savedInvStd,
        float* dx, float* dGamma, float* dBeta, bool relu)
    {
        int s = layout.Spatial;
        double count = (double)layout.Batch * s;
        for (int c = first; c < end; c++)
        {
            double mean = savedMean[c], invStd = savedInvStd[c];
            (float scale, float offset) = relu ? Affine(gamma[c], beta[c], mean, invStd) : default;
            double sumDy = 0, sumDyCentered = 0;
            for (int i = 0; i < layout.Batch; i++)
            {
                long at = PlaneOffset(layout, i, c);
                if (relu)
                {
                    SumAndCenteredDot<Masked>(dy + at, x + at, s, mean, scale, offset, ref sumDy, ref sumDyCentered);
                }
                else
                {
                    SumAndCenteredDot<Plain>(dy + at, x + at, s, mean, 0, 0, ref sumDy, ref sumDyCentered);
                }
            }
            double dg = invStd * sumDyCentered;
            dGamma[c] = (float)dg;
            dBeta[c] = (float)sumDy;
            // dx = k1·dy + k2·x + k3 with k1 = γs, k2 = −γs²·dγ/M, k3 = −γs·dβ/M − k2·μ.
            double k1 = gamma[c] * invStd;
            double k2 = -k1 * invStd * dg / count;
            double k3 = (-k1 * sumDy / count) - (k2 * mean);
            for (int i = 0; i < layout.Batch; i++)
            {
                long at = PlaneOffset(layout, i, c);
                if (relu)
                {
                    TwoTermAffine<Masked>(dy + at, (float)k1, x + at, (float)k2, (float)k3, dx + at, s, scale, offset);
                }
                else
                {
                    TwoTermAffine<Plain>(dy + at, (float)k1, x + at, (float)k2, (float)k3, dx + at, s, 0, 0);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long PlaneOffset(in ChannelPlanes layout, int sample, int channel) =>
        (((long)sample * layout.Channels) + channel) * layout.Spatial;

    /// <summary>s1 += Σ(x − k), s2 += Σ(x − k)² over n floats, in double, 16 at a time with two accumulator pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ShiftedMoments(float* x, int n, double k, ref double s1, ref double s2)
    {
        Vector512<double> shift = Vector512.Create(k);
        Vector512<double> a1 = Vector512<double>.Zero, a2 = Vector512<double>.Zero, b1 = Vector512<double>.Zero, b2 = Vector512<double>.Zero;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(Vector512.Load(x + i));
            lo -= shift;
            hi -= shift;
            a1 += lo;
            b1 += hi;
            a2 = Vector512.FusedMultiplyAdd(lo, lo, a2);
            b2 = Vector512.FusedMultiplyAdd(hi, hi, b2);
        }
        double t1 = Vector512.Sum(a1 + b1), t2 = Vector512.Sum(a2 + b2);
        for (; i < n; i++)
        {
            double d = x[i] - k;
            t1 += d;
            t2 += d * d;
        }
        s1 += t1;
        s2 += t2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleShift(float* x, int n, float a, float b, float* y)
    {
        Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512.FusedMultiplyAdd(Vector512.Load(x + i), va, vb).Store(y + i);
        }
        for (; i < n; i++)
        {
            y[i] = MathF.FusedMultiplyAdd(x[i], a, b);
        }
    }

    /// <summary>y = max(x·a + b, 0): <see cref="ScaleShift"/> then ReLU (IEEE maximum: NaN stays NaN, −0 becomes +0, as the ReLU layer's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleShiftRelu(float* x, int n, float a, float b, float* y)
    {
        Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512.Max(Vector512.FusedMultiplyAdd(Vector512.Load(x + i), va, vb), Vector512<float>.Zero).Store(y + i);
        }
        for (; i < n; i++)
        {
            y[i] = MathF.Max(MathF.FusedMultiplyAdd(x[i], a, b), 0f);
        }
    }

    /// <summary>Whether backward applies ReLU's mask [x·a + b &gt; 0] to dy (batch norm + ReLU fused) or reads dy as it is.</summary>
    private interface IMask
    {
        static abstract bool On { get; }
    }

    private readonly struct Masked : IMask
    {
        public static bool On => true;
    }

    private readonly struct Plain : IMask
    {
        public static bool On => false;
    }

    /// <summary>dy, or with <typeparamref name="TMask"/> dy·[x·a + b &gt; 0]: ReLU's backward (a select, +0 where masked) on the fly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Gradient<TMask>(Vector512<float> dy, Vector512<float> x, Vector512<float> a, Vector512<float> b) where TMask : struct, IMask =>
        TMask.On ? Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.FusedMultiplyAdd(x, a, b), Vector512<float>.Zero), dy, Vector512<float>.Zero) : dy;

    private static float Gradient<TMask>(float dy, float x, float a, float b) where TMask : struct, IMask =>
        !TMask.On || MathF.FusedMultiplyAdd(x, a, b) > 0 ? dy : 0f;

    /// <summary>sum += Σ g, dot += Σ g·(x − mean) over n floats, in double; g is dy, masked by ReLU's [x·a + b &gt; 0] with <typeparamref name="TMask"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumAndCenteredDot<TMask>(float* dy, float* x, int n, double mean, float a, float b, ref double sum, ref double dot)
        where TMask : struct, IMask
    {
        Vector512<double> m = Vector512.Create(mean);
        Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b);
        Vector512<double> a1 = Vector512<double>.Zero, a2 = Vector512<double>.Zero, b1 = Vector512<double>.Zero, b2 = Vector512<double>.Zero;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> xv = Vector512.Load(x + i);
            (Vector512<double> glo, Vector512<double> ghi) = Vector512.Widen(Gradient<TMask>(Vector512.Load(dy + i), xv, va, vb));
            (Vector512<double> xlo, Vector512<double> xhi) = Vector512.Widen(xv);
            a1 += glo;
            b1 += ghi;
            a2 = Vector512.FusedMultiplyAdd(glo, xlo - m, a2);
            b2 = Vector512.FusedMultiplyAdd(ghi, xhi - m, b2);
        }
        double t1 = Vector512.Sum(a1 + b1), t2 = Vector512.Sum(a2 + b2);
        for (; i < n; i++)
        {
            double g = Gradient<TMask>(dy[i], x[i], a, b);
            t1 += g;
            t2 += g * (x[i] - mean);
        }
        sum += t1;
        dot += t2;
    }

    /// <summary>dx = g·p + (x·q + r), g as in <see cref="SumAndCenteredDot{TMask}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TwoTermAffine<TMask>(float* dy, float p, float* x, float q, float r, float* dx, int n, float a, float b) where TMask : struct, IMask
    {
        Vector512<float> vp = Vector512.Create(p), vq = Vector512.Create(q), vr = Vector512.Create(r), va = Vector512.Create(a), vb = Vector512.Create(b);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> xv = Vector512.Load(x + i);
            Vector512.FusedMultiplyAdd(Gradient<TMask>(Vector512.Load(dy + i), xv, va, vb), vp, Vector512.FusedMultiplyAdd(xv, vq, vr)).Store(dx + i);
        }
        for (; i < n; i++)
        {
            dx[i] = MathF.FusedMultiplyAdd(Gradient<TMask>(dy[i], x[i], a, b), p, MathF.FusedMultiplyAdd(x[i], q, r));
        }
    }
}
