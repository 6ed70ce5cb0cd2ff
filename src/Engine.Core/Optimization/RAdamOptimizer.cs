namespace Engine.Core;

/// <summary>
/// Rectified Adam as torch.optim.RAdam. m and v as Adam; ρ∞ = 2/(1 − β2) − 1 and
/// ρ_t = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ). While ρ_t ≤ 5 the variance estimate is too noisy and the step is
/// momentum SGD on the bias-corrected m: θ ← θ − lr·m/c1. After, it is Adam's step scaled by
/// r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)): θ ← θ − lr·r_t·(m/c1)·√c2/(√v + ε).
/// State: <c>exp_avg</c>, <c>exp_avg_sq</c>.
/// </summary>
/// <param name="learningRate">lr.</param>
/// <param name="beta1">β1.</param>
/// <param name="beta2">β2.</param>
/// <param name="epsilon">ε.</param>
/// <param name="weightDecay">wd, added to the gradient unless decoupled.</param>
/// <param name="decoupledWeightDecay">Decay θ by lr·wd directly, as AdamW.</param>
/// <param name="name">Registered name (<c>radam</c>; <c>ranger</c> wraps one).</param>
public sealed class RAdamOptimizer(double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool decoupledWeightDecay = false, string name = "radam")
    : FusedOptimizer(name, UpdateRule.RAdam, learningRate, "exp_avg", "exp_avg_sq")
{
    /// <summary>The rectification r_t of 1-based step <paramref name="step"/>, or 0 while ρ_t ≤ 5.</summary>
    public static double Rectification(long step, double beta2)
    {
        double rhoInfinity = 2 / (1 - beta2) - 1;
        double beta2Power = Math.Pow(beta2, step);
        double rho = rhoInfinity - 2 * step * beta2Power / (1 - beta2Power);
        return rho > 5
            ? Math.Sqrt((rho - 4) * (rho - 2) * rhoInfinity / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho))
            : 0;
    }

    /// <inheritdoc/>
    protected override UpdateHyperparameters HyperparametersAt(long step) => new()
    {
        LearningRate = LearningRate,
        WeightDecay = weightDecay,
        DecoupledWeightDecay = decoupledWeightDecay,
        Beta1 = beta1,
        Beta2 = beta2,
        Epsilon = epsilon,
        BiasCorrection1 = 1 - Math.Pow(beta1, step),
        BiasCorrection2 = 1 - Math.Pow(beta2, step),
        Rectification = Rectification(step, beta2),
    };
}
