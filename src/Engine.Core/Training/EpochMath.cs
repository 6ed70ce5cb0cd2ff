namespace Engine.Core;

/// <summary>Step → epoch arithmetic shared by the epoch-based schedules.</summary>
internal static class EpochMath
{
    /// <summary>The 0-based epoch that 0-based <paramref name="step"/> falls in.</summary>
    public static long EpochOf(long step, int stepsPerEpoch) =>
        stepsPerEpoch > 0
            ? step / stepsPerEpoch
            : throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "an epoch-based schedule needs at least one step per epoch");
}
