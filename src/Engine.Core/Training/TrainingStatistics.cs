namespace Engine.Core;

/// <summary>What <see cref="TrainingStatistics.Read"/> returns.</summary>
/// <param name="LossSum">Σ batch size · loss over the steps added since the last reset.</param>
/// <param name="Correct">Examples whose label was the top-1 prediction.</param>
/// <param name="FirstNonFiniteStep">The global step (1-based) of the first non-finite loss, or 0 while every loss was finite.</param>
public readonly record struct TrainingTotals(double LossSum, long Correct, long FirstNonFiniteStep);

/// <summary>
/// A training run's loss sum, top-1 count and first non-finite step, accumulated on the backend
/// (<see cref="IBackend.AccumulateLoss"/>, <see cref="IBackend.AccumulateTopK"/>) so that a step
/// never waits for the device; <see cref="Read"/> is the one host read, made only when the run
/// reports. NaN logits are never counted correct.
/// </summary>
public sealed class TrainingStatistics : IDisposable
{
    private const int Loss = 0, TopK = 1;
    private readonly DeviceCounters _counters;

    /// <summary>Allocates the accumulators on <paramref name="backend"/>, set to zero.</summary>
    public TrainingStatistics(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _counters = new DeviceCounters(backend, 2, 1);
    }

    /// <summary>Sets the accumulators to zero (no host read).</summary>
    public void Reset() => _counters.Reset();

    /// <summary>
    /// Adds one step: its loss (a one-element tensor; weighted by the batch size), and the top-1
    /// hits of <paramref name="logits"/> (N×K) against <paramref name="labels"/>
    /// (<see cref="DataType.Int32"/>, N). <paramref name="globalStep"/> is the step's 1-based number
    /// since the run began, recorded when the loss is the first non-finite one.
    /// </summary>
    public void Add(Tensor loss, Tensor logits, Tensor labels, long globalStep)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        IBackend backend = logits.Backend;
        backend.AccumulateLoss(loss, labels.ElementCount, globalStep, _counters[Loss]);
        backend.AccumulateTopK(logits, labels, _counters[TopK]);
    }

    /// <summary>The totals since the last reset: one host read, which waits for the queued steps.</summary>
    public TrainingTotals Read()
    {
        ReadOnlySpan<double> v = _counters.Read();
        return new TrainingTotals(v[0], (long)v[2], (long)v[1]);
    }

    /// <summary>Frees the accumulators.</summary>
    public void Dispose() => _counters.Dispose();
}
