using Engine.Backend.Cudnn.Kernels;

namespace Engine.Backend.Cudnn;

/// <summary>
/// Fused optimiser updates: one kernel per rule (kernels/optimizer.cu), one thread per element, with
/// the CPU's formulas. The derived scalars (1 − β, the AdamW shrink, lr/c1, √c2, the RAdam scale)
/// are computed here in double exactly as the CPU computes them, so both round the same numbers to T.
/// </summary>
public sealed partial class CudnnBackend
{
    /// <inheritdoc/>
    public void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3)
    {
        ThrowIfDisposed();
        BackendContract.OptimizerUpdate(this, rule, h, value, gradient, state1, state2, state3);
        long n = value.ElementCount;
        DataType type = value.DataType;
        // Adam/RAdam: AdamW shrinks θ by 1 − lr·wd instead of adding wd·θ to the gradient.
        bool decoupled = h.DecoupledWeightDecay;
        double decay = decoupled ? 0.0 : h.WeightDecay, shrink = decoupled ? 1 - (h.LearningRate * h.WeightDecay) : 1.0;
        DevicePointer v = Ptr(value), g = Ptr(gradient), s1 = OptionalPtr(state1), s2 = OptionalPtr(state2), s3 = OptionalPtr(state3);
        if (_step is not null && StepValues("OptimizerUpdate", OptimizerScalars(rule, h, decay, shrink)) is { } scalars)
        {
            // Captured step: the per-step scalars come from device memory (an update pass sets them and queues nothing).
            if (!Updating)
            {
                LaunchOptimizerFromDevice(rule, type, n, v, g, s1, s2, s3, scalars);
            }
            return;
        }
        switch (rule)
        {
            case UpdateRule.Sgd:
                _kernels.Launch("optimizer", "sgd", type, n, n, v, g, s1, h.LearningRate, h.WeightDecay, h.Momentum, 1 - h.Dampening,
                    h.Momentum != 0 ? 1 : 0, h.FirstStep ? 1 : 0, h.Nesterov ? 1 : 0);
                break;
            case UpdateRule.Adagrad:
                _kernels.Launch("optimizer", "adagrad", type, n, n, v, g, s1, h.LearningRate, h.WeightDecay, h.Epsilon);
                break;
            case UpdateRule.RmsProp:
                _kernels.Launch("optimizer", "rmsprop", type, n, n, v, g, s1, s2, s3, h.LearningRate, h.WeightDecay, h.Epsilon,
                    h.Beta2, 1 - h.Beta2, h.Momentum, h.Centered ? 1 : 0, h.Momentum > 0 ? 1 : 0);
                break;
            case UpdateRule.Adam:
                _kernels.Launch("optimizer", "adam", type, n, n, v, g, s1, s2, s3, decay, shrink, h.Beta1, 1 - h.Beta1, h.Beta2, 1 - h.Beta2,
                    h.Epsilon, h.LearningRate / h.BiasCorrection1, Math.Sqrt(h.BiasCorrection2), h.AmsGrad ? 1 : 0);
                break;
            default:
                bool rectified = h.Rectification > 0;
                double scale = rectified ? h.LearningRate * h.Rectification * Math.Sqrt(h.BiasCorrection2) : h.LearningRate;
                _kernels.Launch("optimizer", "radam", type, n, n, v, g, s1, s2, decay, shrink, h.Beta1, 1 - h.Beta1, h.Beta2, 1 - h.Beta2,
                    h.Epsilon, h.BiasCorrection1, scale, rectified ? 1 : 0);
                break;
        }
    }

    /// <summary>The by-value kernels' scalar arguments, in their order (flags as 0/1): what the _dev kernels read from device memory.</summary>
    private static double[] OptimizerScalars(UpdateRule rule, in UpdateHyperparameters h, double decay, double shrink)
    {
        switch (rule)
        {
            case UpdateRule.Sgd:
                return [h.LearningRate, h.WeightDecay, h.Momentum, 1 - h.Dampening, h.Momentum != 0 ? 1 : 0, h.FirstStep ? 1 : 0, h.Nesterov ? 1 : 0];
            case UpdateRule.Adagrad:
                return [h.LearningRate, h.WeightDecay, h.Epsilon];
            case UpdateRule.RmsProp:
                return [h.LearningRate, h.WeightDecay, h.Epsilon, h.Beta2, 1 - h.Beta2, h.Momentum, h.Centered ? 1 : 0, h.Momentum > 0 ? 1 : 0];
            case UpdateRule.Adam:
                return [decay, shrink, h.Beta1, 1 - h.Beta1, h.Beta2, 1 - h.Beta2, h.Epsilon, h.LearningRate / h.BiasCorrection1,
                    Math.Sqrt(h.BiasCorrection2), h.AmsGrad ? 1 : 0];
            default:
                bool rectified = h.Rectification > 0;
                double scale = rectified ? h.LearningRate * h.Rectification * Math.Sqrt(h.BiasCorrection2) : h.LearningRate;
                return [decay, shrink, h.Beta1, 1 - h.Beta1, h.Beta2, 1 - h.Beta2, h.Epsilon, h.BiasCorrection1, scale, rectified ? 1 : 0];
        }
    }

    private void LaunchOptimizerFromDevice(UpdateRule rule, DataType type, long n, DevicePointer v, DevicePointer g, DevicePointer s1,
        DevicePointer s2, DevicePointer s3, DevicePointer scalars)
    {
        switch (rule)
        {
            case UpdateRule.Sgd:
                _kernels.Launch("optimizer", "sgd_dev", type, n, n, v, g, s1, scalars);
                break;
            case UpdateRule.Adagrad:
                _kernels.Launch("optimizer", "adagrad_dev", type, n, n, v, g, s1, scalars);
                break;
            case UpdateRule.RmsProp:
                _kernels.Launch("optimizer", "rmsprop_dev", type, n, n, v, g, s1, s2, s3, scalars);
                break;
            case UpdateRule.Adam:
                _kernels.Launch("optimizer", "adam_dev", type, n, n, v, g, s1, s2, s3, scalars);
                break;
            default:
                _kernels.Launch("optimizer", "radam_dev", type, n, n, v, g, s1, s2, scalars);
                break;
        }
    }

    /// <summary>A state's address, or null for a state the rule does not use under these settings (never read then).</summary>
    private static DevicePointer OptionalPtr(Tensor? state) => state is null ? default : Ptr(state);
}
