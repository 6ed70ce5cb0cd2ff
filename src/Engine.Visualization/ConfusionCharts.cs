using System.Globalization;
using ScottPlot;
using Engine.Core;

namespace Engine.Visualization;

/// <summary>
/// An evaluation's confusion matrix as a heat-map (rows the true class, columns the predicted one,
/// colour the row's fraction, so classes of different sizes compare; each cell labelled with its
/// count) and its per-class accuracy (recall) as a bar chart. PNG or SVG through <see cref="ChartImage"/>.
/// </summary>
public static class ConfusionCharts
{
    /// <summary>Writes the confusion heat-map of <paramref name="result"/> to <paramref name="path"/>.</summary>
    public static void WriteHeatmap(EvaluationResult result, string path)
    {
        int k = result.ClassCount;
        double[,] fractions = RowFractions(result);
        Plot plot = ChartImage.Create(string.Create(CultureInfo.InvariantCulture, $"confusion matrix ({result.Count} examples, top-1 {result.Top1:P2})"));
        var heatmap = plot.Add.Heatmap(fractions);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "fraction of the true class";
        if (k <= 20)
        {
            for (int actual = 0; actual < k; actual++)
            {
                for (int predicted = 0; predicted < k; predicted++)
                {
                    long count = result.Confusion(actual, predicted);
                    var text = plot.Add.Text(count.ToString(CultureInfo.InvariantCulture), predicted, k - 1 - actual);
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontSize = k <= 10 ? 12 : 8;
                    // Viridis is dark below about 0.6 and light above it.
                    text.LabelFontColor = fractions[actual, predicted] > 0.6 ? Colors.Black : Colors.White;
                }
            }
        }
        double[] positions = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        string[] names = result.ClassNames.ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.Select(p => k - 1 - p).ToArray(), names);
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        int side = Math.Clamp(60 * k, 480, 1400);
        ChartImage.Save(plot, path, side + 160, side);
    }

    /// <summary>Writes the per-class accuracy (recall) bars of <paramref name="result"/> to <paramref name="path"/>.</summary>
    public static void WritePerClassAccuracy(EvaluationResult result, string path)
    {
        double[] recall = result.Recall();
        Plot plot = ChartImage.Create(string.Create(CultureInfo.InvariantCulture, $"per-class accuracy (top-1 {result.Top1:P2})"));
        var bars = plot.Add.Bars(recall);
        foreach (var b in bars.Bars)
        {
            b.Label = b.Value.ToString("0.000", CultureInfo.InvariantCulture);
        }
        bars.ValueLabelStyle.FontSize = recall.Length <= 10 ? 12 : 8;
        double[] positions = Enumerable.Range(0, recall.Length).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, result.ClassNames.ToArray());
        plot.Axes.SetLimitsY(0, 1.08);
        plot.XLabel("class");
        plot.YLabel("accuracy (recall)");
        ChartImage.Save(plot, path, Math.Clamp(70 * recall.Length, 640, 1600), 420);
    }

    /// <summary>Each row of the confusion matrix divided by its sum (a class with no examples stays 0).</summary>
    public static double[,] RowFractions(EvaluationResult result)
    {
        int k = result.ClassCount;
        var fractions = new double[k, k];
        for (int actual = 0; actual < k; actual++)
        {
            long total = 0;
            for (int predicted = 0; predicted < k; predicted++)
            {
                total += result.Confusion(actual, predicted);
            }
            for (int predicted = 0; predicted < k; predicted++)
            {
                fractions[actual, predicted] = total == 0 ? 0 : (double)result.Confusion(actual, predicted) / total;
            }
        }
        return fractions;
    }
}
