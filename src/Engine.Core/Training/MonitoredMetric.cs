namespace Engine.Core;

/// <summary>The per-epoch metrics early stopping and best checkpoints can watch, and which way is better.</summary>
public static class MonitoredMetric
{
    /// <summary>Names accepted: val_loss, val_accuracy, val_top5, train_loss, train_accuracy, test_accuracy.</summary>
    public static IReadOnlyList<string> Names { get; } = ["val_loss", "val_accuracy", "val_top5", "train_loss", "train_accuracy", "test_accuracy"];

    /// <summary>The value of <paramref name="metric"/> in <paramref name="result"/>.</summary>
    public static double Of(EpochResult result, string metric) => metric switch
    {
        "val_loss" => result.ValidationLoss,
        "val_accuracy" => result.ValidationAccuracy,
        "val_top5" => result.ValidationTop5,
        "train_loss" => result.TrainLoss,
        "train_accuracy" => result.TrainAccuracy,
        "test_accuracy" => result.TestAccuracy,
        _ => throw Unknown(metric, "metric"),
    };

    /// <summary>Losses go down, accuracies up.</summary>
    public static bool LowerIsBetter(string metric) => metric.EndsWith("_loss", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="value"/> beats <paramref name="best"/> by more than <paramref name="minDelta"/> (NaN never does).</summary>
    public static bool Improves(string metric, double value, double best, double minDelta = 0) =>
        !double.IsNaN(value) && (LowerIsBetter(metric) ? value < best - minDelta : value > best + minDelta);

    /// <summary>Throws naming <paramref name="owner"/> and the known names when <paramref name="metric"/> is not one.</summary>
    public static void Check(string metric, string owner)
    {
        if (!Names.Contains(metric))
        {
            throw Unknown(metric, owner);
        }
    }

    private static ConfigurationException Unknown(string metric, string owner) =>
        new($"{owner}: unknown metric '{metric}'; known: {string.Join(", ", Names)}");
}
