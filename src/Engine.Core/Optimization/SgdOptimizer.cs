namespace Engine.Core;

/// <summary>
/// Stochastic gradient descent as torch.optim.SGD: g ← g + wd·θ; with momentum μ the buffer b is
/// the first gradient on the first step, then b ← μ·b + (1 − dampening)·g; the step is b, or
/// g + μ·b with Nesterov; θ ← θ − lr·step. State: <c>momentum_buffer</c> when μ ≠ 0.
/// </summary>
public sealed class SgdOptimizer : FusedOptimizer
{
    private readonly double _momentum;
    private readonly double _dampening;
    private readonly bool _nesterov;
    private readonly double _weightDecay;

    /// <summary>Creates the optimiser; the defaults give plain SGD θ ← θ − lr·g.</summary>
    /// <param name="learningRate">lr.</param>
    /// <param name="momentum">μ (0: none).</param>
    /// <param name="dampening">Dampening of the gradient in the buffer.</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and dampening 0, as PyTorch).</param>
    /// <param name="weightDecay">L2 weight decay added to the gradient.</param>
    public SgdOptimizer(double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base("sgd", UpdateRule.Sgd, learningRate, momentum != 0 ? "momentum_buffer" : null)
    {
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ConfigurationException($"optimizer 'sgd': nesterov needs momentum > 0 and dampening 0, got momentum {momentum}, dampening {dampening}");
        }
        _momentum = momentum;
        _dampening = dampening;
        _nesterov = nesterov;
        _weightDecay = weightDecay;
    }

    /// <inheritdoc/>
    protected override UpdateHyperparameters HyperparametersAt(long step) => new()
    {
        LearningRate = LearningRate,
        WeightDecay = _weightDecay,
        Momentum = _momentum,
        Dampening = _dampening,
        Nesterov = _nesterov,
        FirstStep = step == 1,
    };
}
