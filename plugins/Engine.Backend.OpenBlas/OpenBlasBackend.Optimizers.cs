using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Fused optimiser updates: one loop per rule reads each element's gradient, value and state once
/// and writes the new value and state, instead of the five to ten passes a chain of element-wise
/// ops would make. Scalars are converted to the element type once per call; arithmetic is in the
/// element type, as PyTorch computes a float32 parameter's update in float32.
/// </summary>
public sealed partial class OpenBlasBackend
{
    // Built once: formatting the op name on every call would allocate on every training step.
    private static readonly OpNameTable<UpdateRule> UpdateOpNames = new("OptimizerUpdate");

    /// <inheritdoc/>
    public void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3)
    {
        if (!Enum.IsDefined(rule))
        {
            throw new ArgumentOutOfRangeException(nameof(rule), rule, "OptimizerUpdate: unknown rule");
        }
        string op = UpdateOpNames[rule];
        bool needs1 = rule != UpdateRule.Sgd || h.Momentum != 0;
        bool needs2 = rule is UpdateRule.Adam or UpdateRule.RAdam || (rule == UpdateRule.RmsProp && h.Momentum > 0);
        bool needs3 = (rule == UpdateRule.Adam && h.AmsGrad) || (rule == UpdateRule.RmsProp && h.Centered);
        if (rule is UpdateRule.Adam or UpdateRule.RAdam && !(h.BiasCorrection1 is > 0 and <= 1 && h.BiasCorrection2 is > 0 and <= 1))
        {
            throw new ArgumentException($"{op}: bias corrections must be in (0, 1], got c1 = {h.BiasCorrection1}, c2 = {h.BiasCorrection2}");
        }
        CpuStorage vs = Check(op, "value", value);
        CpuStorage gs = Check(op, "gradient", gradient);
        SameType(op, "value", value, "gradient", gradient);
        SameCount(op, "value", value, "gradient", gradient);
        NotShared(op, "value", vs, "gradient", gs);
        CpuStorage? s1 = State(op, "state1", state1, needs1, value, vs);
        CpuStorage? s2 = State(op, "state2", state2, needs2, value, vs);
        CpuStorage? s3 = State(op, "state3", state3, needs3, value, vs);
        int n = (int)value.ElementCount;
        if (value.DataType == DataType.Float32)
        {
            Update<float>(rule, h, Elements<float>(vs, n), Elements<float>(gs, n), Optional<float>(s1, n), Optional<float>(s2, n), Optional<float>(s3, n));
        }
        else
        {
            Update<double>(rule, h, Elements<double>(vs, n), Elements<double>(gs, n), Optional<double>(s1, n), Optional<double>(s2, n), Optional<double>(s3, n));
        }
        GC.KeepAlive(vs);
        GC.KeepAlive(gs);
        GC.KeepAlive(s1);
        GC.KeepAlive(s2);
        GC.KeepAlive(s3);
    }

    private CpuStorage? State(string op, string name, Tensor? state, bool needed, Tensor value, CpuStorage valueStorage)
    {
        if (state is null)
        {
            return needed ? throw new ArgumentNullException(name, $"{op}: {name} is required by this rule and its settings") : null;
        }
        CpuStorage storage = Check(op, name, state);
        SameType(op, "value", value, name, state);
        SameCount(op, "value", value, name, state);
        NotShared(op, "value", valueStorage, name, storage);
        return storage;
    }

    private static Span<T> Optional<T>(CpuStorage? storage, int n) where T : unmanaged =>
        storage is null ? [] : Elements<T>(storage, n);

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

    private static void SgdKernel<T>(in UpdateHyperparameters h, Span<T> value, ReadOnlySpan<T> gradient, Span<T> buffer)
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
