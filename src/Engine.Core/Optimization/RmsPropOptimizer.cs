namespace Engine.Core;

/// <summary>
/// RMSprop as torch.optim.RMSprop: g ← g + wd·θ; v ← α·v + (1 − α)·g²; centred: a ← α·a + (1 − α)·g
/// and d = √(v − a²) + ε, else d = √v + ε; with momentum μ &gt; 0, b ← μ·b + g/d and θ ← θ − lr·b,
/// else θ ← θ − lr·g/d. State: <c>square_avg</c>, <c>momentum_buffer</c> (μ &gt; 0), <c>grad_avg</c> (centred).
/// </summary>
/// <param name="learningRate">lr.</param>
/// <param name="alpha">Smoothing constant α.</param>
/// <param name="epsilon">ε.</param>
/// <param name="weightDecay">L2 weight decay added to the gradient.</param>
/// <param name="momentum">μ (0: none).</param>
/// <param name="centered">Normalise by the estimated variance instead of the raw second moment.</param>
public sealed class RmsPropOptimizer(double learningRate, double alpha = 0.99, double epsilon = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
    : FusedOptimizer("rmsprop", UpdateRule.RmsProp, learningRate, "square_avg", momentum > 0 ? "momentum_buffer" : null, centered ? "grad_avg" : null)
{
    /// <inheritdoc/>
    protected override UpdateHyperparameters HyperparametersAt(long step) => new()
    {
        LearningRate = LearningRate,
        WeightDecay = weightDecay,
        Beta2 = alpha,
        Epsilon = epsilon,
        Momentum = momentum,
        Centered = centered,
    };
}
