using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Cosine annealing from lr to min_lr over a run of <paramref name="totalSteps"/> steps, per step:
/// min + (lr − min)·(1 + cos(π·s/T))/2, and min_lr from step T on (torch's CosineAnnealingLR with
/// T_max = T, stepped every batch).
/// </summary>
/// <param name="baseRate">lr at step 0.</param>
/// <param name="minRate">Rate at the end.</param>
/// <param name="totalSteps">T, steps of the run (≥ 1).</param>
public sealed class CosineSchedule(double baseRate, double minRate, long totalSteps) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"cosine from {baseRate} to {minRate} over {totalSteps} steps");

    /// <inheritdoc/>
    public double RateAt(long step, int stepsPerEpoch) =>
        step >= totalSteps ? minRate : minRate + (baseRate - minRate) * (1 + Math.Cos(Math.PI * step / totalSteps)) / 2;
}
