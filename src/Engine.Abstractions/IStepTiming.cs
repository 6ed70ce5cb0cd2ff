namespace Engine;

/// <summary>
/// Implemented by a backend that can time steps on the device's own clock (the cuDNN backend: CUDA
/// events around each step), so that tools can report how long the device computed and how long it
/// sat idle waiting for the host between steps. Optional.
/// </summary>
public interface IStepTiming
{
    /// <summary>Marks the start of a step in the device's queue.</summary>
    void BeginStep();

    /// <summary>Marks the end of the step begun last.</summary>
    void EndStep();

    /// <summary>
    /// Waits for the device, then returns the steps marked since the last call, in order, and forgets
    /// them. The first step's idle time is 0.
    /// </summary>
    IReadOnlyList<StepTime> ReadStepTimes();
}

/// <summary>One step on the device's clock.</summary>
/// <param name="BusyMilliseconds">From the step's begin mark to its end mark (for work queued op by op, gaps between ops count here).</param>
/// <param name="IdleMilliseconds">From the previous step's end mark to this step's begin mark: the device had nothing queued.</param>
public readonly record struct StepTime(double BusyMilliseconds, double IdleMilliseconds);
