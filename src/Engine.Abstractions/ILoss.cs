namespace Engine;

/// <summary>
/// A loss function over a batch of predictions and targets. The value is the mean over the batch,
/// so the gradient is already divided by the batch size (as PyTorch's default reduction).
/// </summary>
public interface ILoss : IDisposable
{
    /// <summary>Registered name, e.g. <c>softmax-cross-entropy</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Computes the loss of <paramref name="predictions"/> (N×K) against <paramref name="targets"/>
    /// (N×K, one-hot for classification). Both returned tensors are owned by the loss and reused:
    /// <see cref="LossOutput.Value"/> has one element (read it with an explicit copy),
    /// <see cref="LossOutput.Gradient"/> is d(loss)/d(predictions).
    /// </summary>
    LossOutput Compute(Tensor predictions, Tensor targets);
}

/// <summary>The loss value (one element, on the backend) and its gradient.</summary>
/// <param name="Value">Mean loss over the batch.</param>
/// <param name="Gradient">d(loss)/d(predictions).</param>
public readonly record struct LossOutput(Tensor Value, Tensor Gradient);

/// <summary>Updates parameters from their gradients; keeps per-parameter state (velocities, moments).</summary>
public interface IOptimizer : IDisposable
{
    /// <summary>Registered name, e.g. <c>sgd</c>.</summary>
    string Name { get; }

    /// <summary>Current learning rate (schedules change it between steps).</summary>
    double LearningRate { get; set; }

    /// <summary>Applies one update to every parameter that is not frozen.</summary>
    void Step(IReadOnlyList<Parameter> parameters);
}
