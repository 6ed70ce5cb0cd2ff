using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Inverse-time ("1/t") decay lr/(1 + decay·t). With <paramref name="perEpoch"/> t is the 0-based
/// epoch (the rate is constant within an epoch, as Keras' InverseTimeDecay with staircase and
/// decay_steps = one epoch); otherwise t is the 0-based step and the rate falls every step.
/// </summary>
/// <param name="baseRate">lr.</param>
/// <param name="decay">Decay per unit of t (≥ 0).</param>
/// <param name="perEpoch">Whether t counts epochs (true) or steps.</param>
public sealed class InverseTimeSchedule(double baseRate, double decay, bool perEpoch) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"inverse-time {baseRate}/(1 + {decay}·t), t in {(perEpoch ? "epochs" : "steps")}");

    /// <inheritdoc/>
    public double RateAt(long step, int stepsPerEpoch) =>
        baseRate / (1 + decay * (perEpoch ? EpochMath.EpochOf(step, stepsPerEpoch) : step));
}
