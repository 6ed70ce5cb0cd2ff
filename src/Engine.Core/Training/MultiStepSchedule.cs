using System.Globalization;

namespace Engine.Core;

/// <summary>torch's MultiStepLR: lr·γ^(number of milestones ≤ epoch), 0-based epochs.</summary>
/// <param name="baseRate">lr.</param>
/// <param name="milestones">Epochs at whose start the rate is multiplied by γ, ascending.</param>
/// <param name="gamma">Factor of each drop.</param>
public sealed class MultiStepSchedule(double baseRate, IReadOnlyList<int> milestones, double gamma) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"multistep from {baseRate}, ×{gamma} at epochs {string.Join(", ", milestones)}");

    /// <inheritdoc/>
    public double RateAt(long step, int stepsPerEpoch)
    {
        long epoch = EpochMath.EpochOf(step, stepsPerEpoch);
        int passed = 0;
        foreach (int m in milestones)
        {
            passed += m <= epoch ? 1 : 0;
        }
        return baseRate * Math.Pow(gamma, passed);
    }
}
