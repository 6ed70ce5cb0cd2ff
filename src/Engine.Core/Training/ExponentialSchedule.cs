using System.Globalization;

namespace Engine.Core;

/// <summary>torch's ExponentialLR: lr·γ^epoch, 0-based epochs (constant within an epoch).</summary>
/// <param name="baseRate">lr.</param>
/// <param name="gamma">Factor per epoch.</param>
public sealed class ExponentialSchedule(double baseRate, double gamma) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"exponential from {baseRate}, ×{gamma} per epoch");

    /// <inheritdoc/>
    public double RateAt(long step, int stepsPerEpoch) => baseRate * Math.Pow(gamma, EpochMath.EpochOf(step, stepsPerEpoch));
}
