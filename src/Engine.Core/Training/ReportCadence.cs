using System.Diagnostics;

namespace Engine.Core;

/// <summary>
/// When a training loop reads its statistics to the host: on every <see cref="Interval"/>-th step
/// once at least <see cref="MinimumTime"/> has passed since the last read, and always on an epoch's
/// last step. A read drains a device's queue, so both limits apply: steps bound the reads of a slow
/// model, time those of a fast one.
/// </summary>
public sealed class ReportCadence
{
    private long _lastRead = Stopwatch.GetTimestamp();

    /// <summary>Reads every <paramref name="interval"/> steps (≥ 1), at most once per <paramref name="minimumTime"/>.</summary>
    public ReportCadence(int interval, TimeSpan minimumTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, 1);
        Interval = interval;
        MinimumTime = minimumTime;
    }

    /// <summary>Steps between reads (1: any step may read).</summary>
    public int Interval { get; }

    /// <summary>Least time between two reads (zero: no limit).</summary>
    public TimeSpan MinimumTime { get; }

    /// <summary>Whether step <paramref name="step"/> (1-based within the epoch) reads; marks the read when it does.</summary>
    public bool Due(int step, bool lastOfEpoch)
    {
        if (!lastOfEpoch && (step % Interval != 0 || Stopwatch.GetElapsedTime(_lastRead) < MinimumTime))
        {
            return false;
        }
        _lastRead = Stopwatch.GetTimestamp();
        return true;
    }
}
