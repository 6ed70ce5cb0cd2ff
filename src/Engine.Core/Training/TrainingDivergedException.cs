using System.Globalization;

namespace Engine.Core;

/// <summary>
/// The training loss became NaN or infinite. The loss is checked on the backend at every step
/// and read when the run reports (progress, end of epoch), so the run stops at the first read after
/// the step named here, which is the first whose loss was not finite. That read comes before any
/// evaluation or checkpoint of the epoch, so no checkpoint is written from a non-finite state and
/// the last good checkpoint (if any) is intact.
/// </summary>
public sealed class TrainingDivergedException : EngineException
{
    /// <summary>Creates the error for <paramref name="loss"/> at (epoch, step).</summary>
    public TrainingDivergedException(int epoch, int step, long globalStep, double loss, double learningRate, string? lastCheckpoint)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"training diverged: the loss is {loss} at epoch {epoch}, step {step} (global step {globalStep}, learning rate {learningRate}); ")
            + (lastCheckpoint is null ? "no checkpoint was written" : $"the last good checkpoint is {lastCheckpoint}"))
    {
        Epoch = epoch;
        Step = step;
        GlobalStep = globalStep;
        Loss = loss;
        LastCheckpoint = lastCheckpoint;
    }

    /// <summary>1-based epoch of the first step whose loss was not finite.</summary>
    public int Epoch { get; }

    /// <summary>1-based step within the epoch.</summary>
    public int Step { get; }

    /// <summary>1-based step since the run began.</summary>
    public long GlobalStep { get; }

    /// <summary>The epoch's mean training loss when the divergence was read (NaN or infinite).</summary>
    public double Loss { get; }

    /// <summary>The checkpoint written last, or null.</summary>
    public string? LastCheckpoint { get; }
}
