using System.Globalization;

namespace Engine.Core;

/// <summary>torch's StepLR: lr·γ^⌊epoch/step_size⌋, 0-based epochs (the rate drops at the start of epoch step_size, 2·step_size, …).</summary>
/// <param name="baseRate">lr.</param>
/// <param name="stepSize">Epochs between drops (≥ 1).</param>
/// <param name="gamma">Factor of each drop.</param>
public sealed class StepSchedule(double baseRate, int stepSize, double gamma) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"step from {baseRate}, ×{gamma} every {stepSize} epochs");

    /// <inheritdoc/>
    public double RateAt(long step, int stepsPerEpoch) => baseRate * Math.Pow(gamma, EpochMath.EpochOf(step, stepsPerEpoch) / stepSize);
}
