namespace Engine.Core;

/// <summary>
/// Adagrad as torch.optim.Adagrad: g ← g + wd·θ; s ← s + g²; θ ← θ − clr·g/(√s + ε) with
/// clr = lr/(1 + (t − 1)·lr_decay) at 1-based step t. State: <c>sum</c>, starting at
/// initial_accumulator_value.
/// </summary>
/// <param name="learningRate">lr.</param>
/// <param name="learningRateDecay">lr_decay.</param>
/// <param name="weightDecay">L2 weight decay added to the gradient.</param>
/// <param name="initialAccumulator">Initial value of every element of the sum.</param>
/// <param name="epsilon">ε.</param>
public sealed class AdagradOptimizer(double learningRate, double learningRateDecay = 0, double weightDecay = 0, double initialAccumulator = 0, double epsilon = 1e-10)
    : FusedOptimizer("adagrad", UpdateRule.Adagrad, learningRate, "sum")
{
    /// <inheritdoc/>
    protected override double InitialValue(int slot) => initialAccumulator;

    /// <inheritdoc/>
    protected override UpdateHyperparameters HyperparametersAt(long step) => new()
    {
        LearningRate = LearningRate / (1 + (step - 1) * learningRateDecay),
        WeightDecay = weightDecay,
        Epsilon = epsilon,
    };
}
