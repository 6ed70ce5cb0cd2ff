using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Linear warm-up for the first N steps, then another schedule: at step s &lt; N the rate is
/// r₀·(s + 1)/N, where r₀ is the next schedule's first rate; from step N on it is the next
/// schedule's rate at step s − N, so that schedule starts when the warm-up ends (its epochs, and a
/// cosine's length, count from there).
/// </summary>
/// <param name="warmupSteps">N (≥ 1).</param>
/// <param name="then">The schedule after the warm-up.</param>
public sealed class WarmupSchedule(long warmupSteps, ILearningRateSchedule then) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"linear warm-up over {warmupSteps} steps, then {then.Description}");

    /// <inheritdoc/>
    public double RateAt(long step, int stepsPerEpoch) =>
        step < warmupSteps
            ? then.RateAt(0, stepsPerEpoch) * (step + 1) / warmupSteps
            : then.RateAt(step - warmupSteps, stepsPerEpoch);
}
