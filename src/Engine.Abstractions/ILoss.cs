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
    /// Computes the loss of <paramref name="predictions"/> (N×K) against <paramref name="targets"/>:
    /// either N class indices (<see cref="DataType.Int32"/>, what the trainer passes, expanded on
    /// the backend) or N×K values of the predictions' type (one-hot or soft targets). Both returned
    /// tensors are owned by the loss and reused: <see cref="LossOutput.Value"/> has one element
    /// (it stays on the backend; reading it is an explicit copy), <see cref="LossOutput.Gradient"/>
    /// is d(loss)/d(predictions).
    /// </summary>
    LossOutput Compute(Tensor predictions, Tensor targets);

    /// <summary>The backend ops <see cref="Compute"/> uses for per-sample predictions of <paramref name="predictionShape"/> (K) in <paramref name="dataType"/>.</summary>
    IEnumerable<OpDescriptor> RequiredOps(Shape predictionShape, DataType dataType);
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

    /// <summary>The backend ops <see cref="Step"/> uses on parameters of <paramref name="dataType"/> (the update rule among them).</summary>
    IEnumerable<OpDescriptor> RequiredOps(DataType dataType);
}
