namespace Engine.Core;

/// <summary>Plain mini-batch stochastic gradient descent: θ ← θ − ε·g.</summary>
public sealed class SgdOptimizer(double learningRate) : IOptimizer
{
    /// <inheritdoc/>
    public string Name => "sgd";

    /// <inheritdoc/>
    public double LearningRate { get; set; } = learningRate;

    /// <inheritdoc/>
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter p in parameters)
        {
            if (!p.Frozen)
            {
                p.Value.Backend.Axpby(-LearningRate, p.Gradient, 1.0, p.Value);
            }
        }
    }

    /// <summary>Holds no tensors.</summary>
    public void Dispose()
    {
    }
}
