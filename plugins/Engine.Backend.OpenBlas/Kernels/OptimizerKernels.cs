using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Fused optimiser updates: one loop per rule reads each element's gradient, value and state once
/// and writes the new value and state, instead of the five to ten passes a chain of element-wise
/// ops would make. Scalars are converted to the element type once per call; arithmetic is in the
/// element type, as PyTorch computes a float32 parameter's update in float32.
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>One update of value and its states (an absent state is address 0) from gradient.</summary>
    public static unsafe void Update(UpdateRule rule, in UpdateHyperparameters h, DataType type, nint value, nint gradient, nint state1, nint state2, nint state3, int count)
    {
        if (type == DataType.Float32 && rule == UpdateRule.Sgd && SgdVector.Enabled)
        {
            SgdVector.Update(h, (float*)value, (float*)gradient, (float*)state1, count);
        }
        else if (type == DataType.Float32)
        {
            Update<float>(rule, h, NativeSpan.Of<float>(value, count), NativeSpan.Of<float>(gradient, count),
                Optional<float>(state1, count), Optional<float>(state2, count), Optional<float>(state3, count));
        }
        else
        {
            Update<double>(rule, h, NativeSpan.Of<double>(value, count), NativeSpan.Of<double>(gradient, count),
                Optional<double>(state1, count), Optional<double>(state2, count), Optional<double>(state3, count));
        }
    }

    private static Span<T> Optional<T>(nint address, int count) where T : unmanaged =>
        address == 0 ? [] : NativeSpan.Of<T>(address, count);

    private static void Update<T>(UpdateRule rule, in UpdateHyperparameters h, Span<T> value, ReadOnlySpan<T> gradient, Span<T> s1, Span<T> s2, Span<T> s3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (rule)
        {
            case UpdateRule.Sgd:
                SgdKernel(h, value, gradient, s1);
                break;
            case UpdateRule.Adagrad:
                AdagradKernel(h, value, gradient, s1);
                break;
            case UpdateRule.RmsProp:
                RmsPropKernel(h, value, gradient, s1, s2, s3);
                break;
            case UpdateRule.Adam:
                AdamKernel(h, value, gradient, s1, s2, s3);
                break;
            default:
                RAdamKernel(h, value, gradient, s1, s2);
                break;
        }
    }

    private static T Of<T>(double x) where T : IFloatingPointIeee754<T> => T.CreateTruncating(x);

    internal static void SgdKernel<T>(in UpdateHyperparameters h, Span<T> value, ReadOnlySpan<T> gradient, Span<T> buffer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = Of<T>(h.LearningRate), wd = Of<T>(h.WeightDecay), mu = Of<T>(h.Momentum), keep = Of<T>(1 - h.Dampening);
        bool momentum = h.Momentum != 0, first = h.FirstStep, nesterov = h.Nesterov;
        for (int i = 0; i < value.Length; i++)
        {
            T g = gradient[i] + wd * value[i];
            if (momentum)
            {
                T b = first ? g : mu * buffer[i] + keep * g;
                buffer[i] = b;
                g = nesterov ? g + mu * b : b;
            }
            value[i] -= lr * g;
        }
    }

    private static void AdagradKernel<T>(in UpdateHyperparameters h, Span<T> value, ReadOnlySpan<T> gradient, Span<T> sum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = Of<T>(h.LearningRate), wd = Of<T>(h.WeightDecay), eps = Of<T>(h.Epsilon);
        for (int i = 0; i < value.Length; i++)
        {
            T g = gradient[i] + wd * value[i];
            T s = sum[i] + g * g;
            sum[i] = s;
            value[i] -= lr * g / (T.Sqrt(s) + eps);
        }
    }

    private static void RmsPropKernel<T>(in UpdateHyperparameters h, Span<T> value, ReadOnlySpan<T> gradient, Span<T> square, Span<T> buffer, Span<T> mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = Of<T>(h.LearningRate), wd = Of<T>(h.WeightDecay), eps = Of<T>(h.Epsilon), alpha = Of<T>(h.Beta2), rest = Of<T>(1 - h.Beta2), mu = Of<T>(h.Momentum);
        bool centered = h.Centered, momentum = h.Momentum > 0;
        for (int i = 0; i < value.Length; i++)
        {
            T g = gradient[i] + wd * value[i];
            T v = alpha * square[i] + rest * g * g;
            square[i] = v;
            if (centered)
            {
                T a = alpha * mean[i] + rest * g;
                mean[i] = a;
                v -= a * a;
            }
            T step = g / (T.Sqrt(v) + eps);
            if (momentum)
            {
                step = mu * buffer[i] + step;
                buffer[i] = step;
            }
            value[i] -= lr * step;
        }
    }

    private static void AdamKernel<T>(in UpdateHyperparameters h, Span<T> value, ReadOnlySpan<T> gradient, Span<T> m, Span<T> v, Span<T> vMax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool decoupled = h.DecoupledWeightDecay, amsgrad = h.AmsGrad;
        T wd = Of<T>(decoupled ? 0 : h.WeightDecay), shrink = Of<T>(decoupled ? 1 - h.LearningRate * h.WeightDecay : 1);
        T b1 = Of<T>(h.Beta1), r1 = Of<T>(1 - h.Beta1), b2 = Of<T>(h.Beta2), r2 = Of<T>(1 - h.Beta2), eps = Of<T>(h.Epsilon);
        T stepSize = Of<T>(h.LearningRate / h.BiasCorrection1), c2Root = Of<T>(Math.Sqrt(h.BiasCorrection2));
        for (int i = 0; i < value.Length; i++)
        {
            T theta = value[i] * shrink;
            T g = gradient[i] + wd * value[i];
            T mi = b1 * m[i] + r1 * g;
            T vi = b2 * v[i] + r2 * g * g;
            m[i] = mi;
            v[i] = vi;
            if (amsgrad)
            {
                vi = T.Max(vMax[i], vi);
                vMax[i] = vi;
            }
            value[i] = theta - stepSize * mi / (T.Sqrt(vi) / c2Root + eps);
        }
    }

    private static void RAdamKernel<T>(in UpdateHyperparameters h, Span<T> value, ReadOnlySpan<T> gradient, Span<T> m, Span<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool decoupled = h.DecoupledWeightDecay, rectified = h.Rectification > 0;
        T wd = Of<T>(decoupled ? 0 : h.WeightDecay), shrink = Of<T>(decoupled ? 1 - h.LearningRate * h.WeightDecay : 1);
        T b1 = Of<T>(h.Beta1), r1 = Of<T>(1 - h.Beta1), b2 = Of<T>(h.Beta2), r2 = Of<T>(1 - h.Beta2), eps = Of<T>(h.Epsilon);
        T c1 = Of<T>(h.BiasCorrection1);
        T scale = Of<T>(rectified ? h.LearningRate * h.Rectification * Math.Sqrt(h.BiasCorrection2) : h.LearningRate);
        for (int i = 0; i < value.Length; i++)
        {
            T theta = value[i] * shrink;
            T g = gradient[i] + wd * value[i];
            T mi = b1 * m[i] + r1 * g;
            T vi = b2 * v[i] + r2 * g * g;
            m[i] = mi;
            v[i] = vi;
            T corrected = mi / c1;
            value[i] = rectified ? theta - scale * corrected / (T.Sqrt(vi) + eps) : theta - scale * corrected;
        }
    }
}
