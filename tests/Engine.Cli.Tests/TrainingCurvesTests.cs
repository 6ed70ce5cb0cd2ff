using System.Globalization;
using Engine.Core;
using Engine.Imaging;
using Engine.Tests;
using Engine.Visualization;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>engine train --curves</c> through ScottPlot (<see cref="TrainingCurveChart"/>): the SVG's line
/// vertices, read through axes fitted to the chart's own tick labels, are the epochs' values; the PNG
/// of the same history has each series' colour where the SVG puts its markers.
/// </summary>
public sealed class TrainingCurvesTests
{
    private static readonly string[] Colours = ["#1F77B4", "#FF7F0E", "#1F77B4", "#FF7F0E", "#2CA02C"];

    private static TrainingHistory Sample(bool validation = true)
    {
        var history = new TrainingHistory();
        // Apart enough that no marker covers the centre of another (the PNG test reads those pixels).
        double[] loss = [2.1, 1.2, 0.8, 0.6], val = [1.9, 1.4, 1.0, 0.95];
        double[] trainAcc = [0.40, 0.60, 0.75, 0.85], valAcc = [0.35, 0.52, 0.66, 0.70], testAcc = [0.30, 0.45, 0.58, 0.62];
        for (int e = 1; e <= 4; e++)
        {
            history.Add(new EpochResult(e, loss[e - 1], trainAcc[e - 1], validation ? testAcc[e - 1] : double.NaN, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.5 * e), 1000)
            {
                ValidationLoss = validation ? val[e - 1] : double.NaN,
                ValidationAccuracy = validation ? valAcc[e - 1] : double.NaN,
            });
        }
        return history;
    }

    private static double[][] Values(TrainingHistory h) =>
    [
        h.Select(r => r.TrainLoss).ToArray(), h.Select(r => r.ValidationLoss).ToArray(),
        h.Select(r => r.TrainAccuracy).ToArray(), h.Select(r => r.ValidationAccuracy).ToArray(), h.Select(r => r.TestAccuracy).ToArray(),
    ];

    /// <summary>Every series' vertices read back through the fitted axes: loss on the left, accuracy on the right.</summary>
    internal static void AssertSeriesAre(CurveSvg chart, double[][] values, int[] epochs)
    {
        Func<double, double> x = chart.BottomAxis(), left = chart.LeftAxis(), right = chart.RightAxis();
        Assert.Equal(values.Length, chart.Series.Count);
        for (int s = 0; s < values.Length; s++)
        {
            CurveSvg.Line line = chart.Series[s];
            Assert.Equal(Colours[s], line.Colour);
            Assert.Equal(s >= 2, line.Squares); // circles for loss, squares for accuracy
            Assert.Equal(epochs.Length, line.Points.Length);
            Assert.Equal(line.Points, line.Markers, (a, b) => Math.Abs(a.X - b.X) < 0.01 && Math.Abs(a.Y - b.Y) < 0.01);
            for (int i = 0; i < epochs.Length; i++)
            {
                Assert.Equal(epochs[i], x(line.Points[i].X), 1e-3);
                Assert.Equal(values[s][i], (s < 2 ? left : right)(line.Points[i].Y), 1e-3);
            }
        }
    }

    [Fact]
    public void Svg_vertices_are_the_epochs_losses_on_the_left_axis_and_accuracies_on_the_right()
    {
        string svg = TrainedCheckpoint.TempFile(".svg");
        TrainingCurveChart.Write(Sample(), svg);
        var chart = CurveSvg.Load(svg);
        AssertSeriesAre(chart, Values(Sample()), [1, 2, 3, 4]);
        string[] texts = chart.Texts.Select(t => t.Text).ToArray();
        Assert.Contains("epoch", texts);
        Assert.Contains(TrainingCurveChart.LossLabel, texts);
        Assert.Contains(TrainingCurveChart.AccuracyLabel, texts);
        foreach (string name in new[] { "train loss", "validation loss", "train accuracy", "validation accuracy", "test accuracy" })
        {
            Assert.Contains(name, texts);
        }
        // Accuracy runs 0 to 1.05 whatever the values: its axis is labelled up to 1.
        Assert.Equal(1.05, chart.RightAxis()(chart.Top), 1e-3);
    }

    [Fact]
    public void Png_has_each_series_colour_where_the_svg_puts_its_markers()
    {
        string svg = TrainedCheckpoint.TempFile(".svg"), png = TrainedCheckpoint.TempFile(".png");
        TrainingCurveChart.Write(Sample(), svg);
        TrainingCurveChart.Write(Sample(), png);
        DecodedImage image = ImageDecoder.Load(png);
        Assert.Equal((TrainingCurveChart.Width, TrainingCurveChart.Height), (image.Width, image.Height));
        var chart = CurveSvg.Load(svg);
        int checkedMarkers = 0;
        foreach (CurveSvg.Line line in chart.Series)
        {
            int r = Convert.ToInt32(line.Colour[1..3], 16), g = Convert.ToInt32(line.Colour[3..5], 16), b = Convert.ToInt32(line.Colour[5..7], 16);
            foreach ((double mx, double my) in line.Markers)
            {
                // The centre pixel of a 7-pixel marker is the series' colour, not anti-aliased.
                int px = (int)Math.Floor(mx), py = (int)Math.Floor(my);
                Assert.True(Math.Abs(image[px, py, 0] - r) <= 2 && Math.Abs(image[px, py, 1] - g) <= 2 && Math.Abs(image[px, py, 2] - b) <= 2,
                    string.Create(CultureInfo.InvariantCulture, $"pixel ({px}, {py}) is ({image[px, py, 0]}, {image[px, py, 1]}, {image[px, py, 2]}), not {line.Colour}"));
                checkedMarkers++;
            }
        }
        Assert.Equal(20, checkedMarkers);
        // The background away from the curves is white.
        Assert.Equal(255, image[2, 2, 0]);
    }

    [Fact]
    public void Series_never_measured_are_left_out_of_the_lines_and_the_legend()
    {
        string svg = TrainedCheckpoint.TempFile(".svg");
        TrainingCurveChart.Write(Sample(validation: false), svg);
        var chart = CurveSvg.Load(svg);
        Assert.Equal(["#1F77B4", "#1F77B4"], chart.Series.Select(s => s.Colour));
        string[] texts = chart.Texts.Select(t => t.Text).ToArray();
        Assert.Contains("train accuracy", texts);
        Assert.DoesNotContain("validation loss", texts);
        Assert.DoesNotContain("test accuracy", texts);
        Assert.Equal(0.75, chart.RightAxis()(chart.Series[1].Points[2].Y), 1e-3);
    }

    [Fact]
    public void A_training_run_draws_the_values_its_metrics_file_holds()
    {
        string folder = Directory.CreateTempSubdirectory("engine-curves-").FullName;
        string svg = Path.Combine(folder, "c.svg"), csv = Path.Combine(folder, "m.csv");
        (int code, string output, string error) = CliRunner.Run("train", "--model", "mlp", "--data", RepoPaths.Mnist, "--limit", "600", "--batch-size", "50", "--lr", "0.1",
            "--momentum", "0.9", "--no-progress", "--epochs", "3", "--validation-split", "0.2", "--metrics", csv, "--curves", svg);
        Assert.True(code == 0, error);
        Assert.Contains($"curves    {svg}", output);
        // epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_top5,test_accuracy,…
        double[][] rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal(3, rows.Length);
        double[][] expected = [.. new[] { 1, 3, 2, 4, 6 }.Select(column => rows.Select(r => r[column]).ToArray())];
        AssertSeriesAre(CurveSvg.Load(svg), expected, [1, 2, 3]);
    }
}
