namespace Engine.Core;

/// <summary>What a schedule needs to know about the run it is made for.</summary>
/// <param name="BaseRate">The learning rate the schedule starts from (the optimiser's lr).</param>
/// <param name="Epochs">Epochs of the run.</param>
/// <param name="StepsPerEpoch">Optimiser steps per epoch (batches per epoch).</param>
public sealed record ScheduleContext(double BaseRate, int Epochs, int StepsPerEpoch)
{
    /// <summary>Steps of the run: epochs × steps per epoch unless set (what follows a warm-up gets the rest of the run).</summary>
    public long TotalSteps { get; init; } = (long)Epochs * StepsPerEpoch;
}
