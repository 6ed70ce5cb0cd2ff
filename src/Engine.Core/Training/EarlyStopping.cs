using System.Globalization;

namespace Engine.Core;

/// <summary>Settings of early stopping.</summary>
/// <param name="Monitor">The metric watched: <c>val_loss</c> (lower is better) or <c>val_accuracy</c> (higher is better).</param>
/// <param name="Patience">Epochs without improvement after which training stops.</param>
/// <param name="MinDelta">Smallest change that counts as an improvement.</param>
/// <param name="RestoreBestWeights">At the end of the run, put back the parameters and layer state of the best epoch.</param>
public sealed record EarlyStoppingOptions(string Monitor = "val_loss", int Patience = 5, double MinDelta = 0, bool RestoreBestWeights = false);

/// <summary>
/// Tracks the monitored metric epoch by epoch and says when to stop (Keras's EarlyStopping):
/// an epoch improves when the metric beats the best so far by more than min delta; after
/// patience epochs without improvement, training stops. With restore, the best epoch's
/// parameters and layer state are kept as host copies. All of it is saved in checkpoints.
/// </summary>
public sealed class EarlyStopping : IStatefulComponent
{
    private StateDictionary? _best;

    /// <summary>Creates the tracker; an unknown metric or a negative patience or delta is an error.</summary>
    public EarlyStopping(EarlyStoppingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        MonitoredMetric.Check(options.Monitor, "early stopping");
        if (options.Patience < 0 || !(options.MinDelta >= 0))
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"early stopping: patience ({options.Patience}) and min delta ({options.MinDelta}) must not be negative"));
        }
        Options = options;
        BestValue = MonitoredMetric.LowerIsBetter(options.Monitor) ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>The settings.</summary>
    public EarlyStoppingOptions Options { get; }

    /// <summary>Best value of the metric so far (±infinity before the first finite one).</summary>
    public double BestValue { get; private set; }

    /// <summary>Epoch of <see cref="BestValue"/> (0 before one).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Epochs since the last improvement.</summary>
    public int EpochsWithoutImprovement { get; private set; }

    /// <summary>Whether the latest <see cref="Update"/> asked to stop.</summary>
    public bool Stopped { get; private set; }

    /// <summary>
    /// Records <paramref name="epoch"/>'s metric; snapshots <paramref name="network"/> when it improved
    /// and restoring is on. Returns true when training should stop.
    /// </summary>
    public bool Update(int epoch, double value, Network? network)
    {
        if (MonitoredMetric.Improves(Options.Monitor, value, BestValue, Options.MinDelta))
        {
            BestValue = value;
            BestEpoch = epoch;
            EpochsWithoutImprovement = 0;
            if (Options.RestoreBestWeights && network is not null)
            {
                _best = new StateDictionary();
                ModelState.Save(network, _best);
            }
        }
        else
        {
            EpochsWithoutImprovement++;
        }
        Stopped = EpochsWithoutImprovement > 0 && EpochsWithoutImprovement >= Options.Patience;
        return Stopped;
    }

    /// <summary>Puts back the best epoch's parameters and layer state; false when there is nothing to restore.</summary>
    public bool RestoreBest(Network network)
    {
        if (_best is null)
        {
            return false;
        }
        ModelState.Load(network, _best, "early-stopping snapshot");
        return true;
    }

    /// <inheritdoc/>
    public void SaveState(StateDictionary state, string prefix)
    {
        state.SetDouble(prefix + "best_value", BestValue);
        state.SetInt64(prefix + "best_epoch", BestEpoch);
        state.SetInt64(prefix + "wait", EpochsWithoutImprovement);
        state.SetInt64(prefix + "stopped", Stopped ? 1 : 0);
        if (_best is not null)
        {
            foreach (string name in _best.Names)
            {
                state.Set(prefix + "best/" + name, _best[name]);
            }
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateDictionary state, string prefix)
    {
        BestValue = state.GetDouble(prefix + "best_value");
        BestEpoch = (int)state.GetInt64(prefix + "best_epoch");
        EpochsWithoutImprovement = (int)state.GetInt64(prefix + "wait");
        Stopped = state.GetInt64(prefix + "stopped") != 0;
        string best = prefix + "best/";
        _best = null;
        foreach (string name in state.Names.Where(n => n.StartsWith(best, StringComparison.Ordinal)))
        {
            (_best ??= new StateDictionary()).Set(name[best.Length..], state[name]);
        }
    }
}
