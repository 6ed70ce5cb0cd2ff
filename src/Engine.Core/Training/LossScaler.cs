using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Dynamic loss scaling for fp16 mixed precision, with the semantics of PyTorch's GradScaler: the
/// loss gradient is multiplied by <see cref="Scale"/> before backward, so that small gradients do
/// not underflow the half type; after backward the trainable gradients are checked, and when all are
/// finite they are divided by the scale (before regularisation, clipping and the optimiser);
/// otherwise the optimiser step is skipped and the scale multiplied by <see cref="BackoffFactor"/>.
/// After <see cref="GrowthInterval"/> clean steps in a row the scale is multiplied by
/// <see cref="GrowthFactor"/>. The check is one reduction on the backend (the sum of squares of every
/// gradient, in double, is finite exactly when every gradient is) and one host read of it per step:
/// the decision to skip is made on the host, as in PyTorch. Scales are powers of two by default, so
/// scaling and unscaling are exact. The caller owns and disposes it.
/// </summary>
public sealed class LossScaler : IDisposable
{
    private readonly double[] _host = new double[1];
    private Tensor? _sumOfSquares;
    private int _cleanSteps;

    /// <summary>Scaling that starts at <paramref name="initialScale"/> (PyTorch's defaults: 2^16, ×2 after 2,000 clean steps, ×½ on overflow).</summary>
    public LossScaler(double initialScale = 65536, double growthFactor = 2, double backoffFactor = 0.5, int growthInterval = 2000)
    {
        if (!(initialScale > 0) || double.IsInfinity(initialScale))
        {
            throw new ConfigurationException($"loss scaling: the initial scale must be positive and finite, got {initialScale.ToString(CultureInfo.InvariantCulture)}");
        }
        if (!(growthFactor >= 1) || double.IsInfinity(growthFactor))
        {
            throw new ConfigurationException($"loss scaling: the growth factor must be at least 1, got {growthFactor.ToString(CultureInfo.InvariantCulture)}");
        }
        if (!(backoffFactor > 0 && backoffFactor < 1))
        {
            throw new ConfigurationException($"loss scaling: the backoff factor must be between 0 and 1, got {backoffFactor.ToString(CultureInfo.InvariantCulture)}");
        }
        if (growthInterval < 1)
        {
            throw new ConfigurationException($"loss scaling: the growth interval must be at least 1 step, got {growthInterval}");
        }
        Scale = initialScale;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
        GrowthInterval = growthInterval;
    }

    /// <summary>The factor the next loss gradient is multiplied by.</summary>
    public double Scale { get; private set; }

    /// <summary>What the scale is multiplied by after <see cref="GrowthInterval"/> clean steps.</summary>
    public double GrowthFactor { get; }

    /// <summary>What the scale is multiplied by when a step overflows.</summary>
    public double BackoffFactor { get; }

    /// <summary>Clean steps in a row after which the scale grows.</summary>
    public int GrowthInterval { get; }

    /// <summary>Steps skipped because a gradient was not finite, since this scaler was made.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>E.g. <c>loss scale 65536, 0 steps skipped</c>.</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"loss scale {Scale}, {SkippedSteps} step(s) skipped");

    /// <summary>Multiplies <paramref name="lossGradient"/> (the gradient backward starts from) by <see cref="Scale"/> in place, on its backend.</summary>
    public void ScaleGradient(Tensor lossGradient)
    {
        ArgumentNullException.ThrowIfNull(lossGradient);
        lossGradient.Backend.Axpby(Scale, lossGradient, 0, lossGradient);
    }

    /// <summary>
    /// After backward: when every trainable gradient is finite, divides them by <see cref="Scale"/>
    /// and returns true (take the optimiser step); otherwise leaves them, backs the scale off and
    /// returns false (skip the step). Updates the scale's growth either way. One host read.
    /// </summary>
    public bool Unscale(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Tensor? total = null;
        for (int i = 0; i < parameters.Count; i++) // indexing: a foreach over the interface would allocate an enumerator
        {
            Parameter p = parameters[i];
            if (!p.Frozen)
            {
                IBackend backend = p.Gradient.Backend;
                _sumOfSquares ??= backend.Allocate(new Shape(1), DataType.Float64);
                backend.SumOfSquares(p.Gradient, _sumOfSquares, beta: total is null ? 0 : 1);
                total = _sumOfSquares;
            }
        }
        if (total is null)
        {
            return true; // nothing trainable: nothing can overflow
        }
        total.Backend.CopyToHost<double>(total, _host);
        if (!double.IsFinite(_host[0]))
        {
            Scale *= BackoffFactor;
            _cleanSteps = 0;
            SkippedSteps++;
            return false;
        }
        double inverse = 1 / Scale;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter p = parameters[i];
            if (!p.Frozen)
            {
                p.Gradient.Backend.Axpby(inverse, p.Gradient, 0, p.Gradient);
            }
        }
        if (++_cleanSteps >= GrowthInterval)
        {
            Scale *= GrowthFactor;
            _cleanSteps = 0;
        }
        return true;
    }

    /// <summary>Frees the backend's accumulator.</summary>
    public void Dispose()
    {
        _sumOfSquares?.Dispose();
        _sumOfSquares = null;
    }
}
