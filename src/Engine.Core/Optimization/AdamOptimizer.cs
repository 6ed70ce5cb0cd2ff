namespace Engine.Core;

/// <summary>
/// Adam as torch.optim.Adam, or AdamW as torch.optim.AdamW when the weight decay is decoupled
/// (θ ← θ·(1 − lr·wd) before the step instead of g ← g + wd·θ). m ← β1·m + (1 − β1)·g,
/// v ← β2·v + (1 − β2)·g², with AMSGrad v̂ ← max(v̂, v) replacing v;
/// θ ← θ − (lr/c1)·m/(√v/√c2 + ε), c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ.
/// State: <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c> (AMSGrad).
/// </summary>
public sealed class AdamOptimizer : FusedOptimizer
{
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _epsilon;
    private readonly double _weightDecay;
    private readonly bool _amsgrad;
    private readonly bool _decoupled;

    /// <summary>Creates Adam (<paramref name="decoupledWeightDecay"/> false) or AdamW (true).</summary>
    /// <param name="learningRate">lr.</param>
    /// <param name="beta1">β1.</param>
    /// <param name="beta2">β2.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">wd.</param>
    /// <param name="amsgrad">Use the running maximum of v.</param>
    /// <param name="decoupledWeightDecay">AdamW's decoupled decay.</param>
    public AdamOptimizer(double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false, bool decoupledWeightDecay = false)
        : base(decoupledWeightDecay ? "adamw" : "adam", UpdateRule.Adam, learningRate, "exp_avg", "exp_avg_sq", amsgrad ? "max_exp_avg_sq" : null)
    {
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
        _weightDecay = weightDecay;
        _amsgrad = amsgrad;
        _decoupled = decoupledWeightDecay;
    }

    /// <inheritdoc/>
    protected override UpdateHyperparameters HyperparametersAt(long step) => new()
    {
        LearningRate = LearningRate,
        WeightDecay = _weightDecay,
        DecoupledWeightDecay = _decoupled,
        Beta1 = _beta1,
        Beta2 = _beta2,
        Epsilon = _epsilon,
        AmsGrad = _amsgrad,
        BiasCorrection1 = 1 - Math.Pow(_beta1, step),
        BiasCorrection2 = 1 - Math.Pow(_beta2, step),
    };
}
