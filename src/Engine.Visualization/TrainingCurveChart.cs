using ScottPlot;
using Engine.Core;

namespace Engine.Visualization;

/// <summary>
/// A run's training curves (<c>engine train --curves</c>) as one ScottPlot chart, PNG or SVG through
/// <see cref="ChartImage"/>: loss against the left axis (round markers) and top-1 accuracy against
/// the right axis (square markers, 0 to 1), per epoch, for the training
/// set, the validation set and the test set, each set in its own colour. One plot with two y-axes
/// rather than two panels because ScottPlot 5.1 composes several plots (Multiplot) only as PNG; lines
/// are solid because Skia's SVG canvas cannot write dashes (it cuts them into filled pieces and
/// prints a warning on standard output).
/// A series with no finite value (no validation split, no test evaluation) is left out; a non-finite
/// epoch is skipped within a series.
/// </summary>
public static class TrainingCurveChart
{
    /// <summary>Width of the chart in pixels.</summary>
    public const int Width = 900;

    /// <summary>Height of the chart in pixels.</summary>
    public const int Height = 440;

    /// <summary>The colour of the training set's lines (#1f77b4).</summary>
    public static readonly Color Train = Color.FromHex("#1f77b4");

    /// <summary>The colour of the validation set's lines (#ff7f0e).</summary>
    public static readonly Color Validation = Color.FromHex("#ff7f0e");

    /// <summary>The colour of the test set's lines (#2ca02c).</summary>
    public static readonly Color Test = Color.FromHex("#2ca02c");

    /// <summary>The left axis' label.</summary>
    public const string LossLabel = "loss (circles)";

    /// <summary>The right axis' label.</summary>
    public const string AccuracyLabel = "top-1 accuracy (squares)";

    /// <summary>Writes the curves of <paramref name="history"/> to <paramref name="path"/> (<c>.png</c> or <c>.svg</c>).</summary>
    public static void Write(TrainingHistory history, string path)
    {
        ArgumentNullException.ThrowIfNull(history);
        ChartImage.CheckExtension(path);
        ChartImage.Save(Create(history), path, Width, Height);
    }

    /// <summary>The chart of <paramref name="history"/>, not yet drawn.</summary>
    public static Plot Create(TrainingHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        Plot plot = ChartImage.Create("training curves");
        IYAxis lossAxis = plot.Axes.Left, accuracyAxis = plot.Axes.Right;
        Line(plot, history, "train loss", Train, r => r.TrainLoss, lossAxis, accuracy: false);
        Line(plot, history, "validation loss", Validation, r => r.ValidationLoss, lossAxis, accuracy: false);
        Line(plot, history, "train accuracy", Train, r => r.TrainAccuracy, accuracyAxis, accuracy: true);
        Line(plot, history, "validation accuracy", Validation, r => r.ValidationAccuracy, accuracyAxis, accuracy: true);
        Line(plot, history, "test accuracy", Test, r => r.TestAccuracy, accuracyAxis, accuracy: true);

        plot.XLabel("epoch");
        lossAxis.Label.Text = LossLabel;
        accuracyAxis.Label.Text = AccuracyLabel;
        // Whole epochs only, with half an epoch of room either side so end markers are not clipped.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        int last = history.Count == 0 ? 1 : history.Max(r => r.Epoch);
        int first = history.Count == 0 ? 1 : history.Min(r => r.Epoch);
        plot.Axes.SetLimitsX(first - 0.5, last + 0.5);
        double[] losses = history.SelectMany(r => new[] { r.TrainLoss, r.ValidationLoss }).Where(double.IsFinite).ToArray();
        double top = losses.Length == 0 ? 1 : Math.Max(losses.Max(), 1e-3);
        plot.Axes.SetLimitsY(Math.Min(0, losses.DefaultIfEmpty(0).Min()), top * 1.05, lossAxis);
        plot.Axes.SetLimitsY(0, 1.05, accuracyAxis);
        if (plot.GetPlottables().Any())
        {
            // Below the axes, in one row, so it never covers a curve.
            plot.ShowLegend(Edge.Bottom);
        }
        return plot;
    }

    private static void Line(Plot plot, TrainingHistory history, string name, Color colour, Func<EpochResult, double> value, IYAxis axis, bool accuracy)
    {
        EpochResult[] present = history.Where(r => double.IsFinite(value(r))).ToArray();
        if (present.Length == 0)
        {
            return;
        }
        var scatter = plot.Add.Scatter(present.Select(r => (double)r.Epoch).ToArray(), present.Select(value).ToArray(), colour);
        scatter.LegendText = name;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 7;
        scatter.MarkerShape = accuracy ? MarkerShape.FilledSquare : MarkerShape.FilledCircle;
        scatter.Axes.YAxis = axis;
    }
}
