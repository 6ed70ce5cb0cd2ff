namespace Engine.Core;

/// <summary>
/// The learning rate as a function of the training step. A schedule holds no mutable state: the
/// rate of step s is computed from s alone, so a checkpoint needs only the step counter to resume
/// the schedule exactly.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>One line for logs, e.g. <c>cosine from 0.1 to 0 over 4690 steps</c>.</summary>
    string Description { get; }

    /// <summary>The rate for 0-based global step <paramref name="step"/>; epoch-based schedules divide by <paramref name="stepsPerEpoch"/>.</summary>
    double RateAt(long step, int stepsPerEpoch);
}

/// <summary>The same rate at every step.</summary>
/// <param name="rate">The learning rate.</param>
public sealed class ConstantSchedule(double rate) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public string Description => FormattableString.Invariant($"constant {rate}");

    /// <inheritdoc/>
    public double RateAt(long step, int stepsPerEpoch) => rate;
}
