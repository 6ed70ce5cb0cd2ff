using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Engine.Core;
using Engine.Host;
using Engine.Imaging;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>engine eval --confusion-image/--per-class-image</c>: the SVG's cell labels are read back by
/// position and must be the confusion counts of the true row and predicted column; the PNG of the same
/// size has, beside each label, the Viridis colour of the row fraction; the bar labels are the recalls.
/// </summary>
public sealed partial class EvalImagesTests
{
    private static readonly Lazy<EvaluationResult> Expected = new(() =>
    {
        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = ConvCheckpoint.Load(host, backend);
        return Trainer.Evaluate(network, host.LoadDataset("mnist", RepoPaths.Mnist).Test, 256, null);
    });

    [Fact]
    public void Heatmap_cells_hold_the_counts_of_true_row_and_predicted_column_in_the_row_fraction_colour()
    {
        string svg = TrainedCheckpoint.TempFile(".svg"), png = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("eval", "--checkpoint", ConvCheckpoint.Path, "--confusion-image", svg);
        Assert.True(code == 0, error);
        Assert.Contains($"confusion image {svg}", output);
        Assert.Equal(0, CliRunner.Run("eval", "--checkpoint", ConvCheckpoint.Path, "--confusion-image", png).ExitCode);
        EvaluationResult expected = Expected.Value;

        // The 100 count labels: text elements placed on a 10×10 grid of centres.
        var labels = XDocument.Load(svg).Descendants().Where(e => e.Name.LocalName == "text")
            .Select(e => (Position: Translate().Match((string?)e.Attribute("transform") ?? ""), Text: e.Value.Trim()))
            .Where(t => t.Position.Success && t.Text.All(char.IsAsciiDigit))
            .Select(t => (X: double.Parse(t.Position.Groups["x"].Value, CultureInfo.InvariantCulture), Y: double.Parse(t.Position.Groups["y"].Value, CultureInfo.InvariantCulture), t.Text))
            .ToList();
        // Whole numbers only (the colour bar's 0.05 steps drop out); the class-name ticks make one more
        // column of ten left of the cells and one more row of ten below them.
        double[] columns = labels.GroupBy(l => Math.Round(l.X)).Where(g => g.Count() >= 10).Select(g => g.Key).Order().Skip(1).ToArray();
        double[] rows = labels.GroupBy(l => Math.Round(l.Y)).Where(g => g.Count() >= 10).Select(g => g.Key).Order().SkipLast(1).ToArray();
        Assert.Equal(10, columns.Length);
        Assert.Equal(10, rows.Length);
        DecodedImage image = ImageDecoder.Load(png);
        double[,] fractions = Engine.Visualization.ConfusionCharts.RowFractions(expected);
        var viridis = new ScottPlot.Colormaps.Viridis();
        for (int actual = 0; actual < 10; actual++)
        {
            for (int predicted = 0; predicted < 10; predicted++)
            {
                var label = labels.Single(l => Math.Round(l.X) == columns[predicted] && Math.Round(l.Y) == rows[actual]);
                Assert.Equal(expected.Confusion(actual, predicted).ToString(CultureInfo.InvariantCulture), label.Text);
                // 20 pixels right of the label's centre is inside the cell and clear of the text.
                ScottPlot.Color colour = viridis.GetColor(fractions[actual, predicted]);
                int x = (int)Math.Round(label.X) + 20, y = (int)Math.Round(label.Y);
                Assert.InRange(image[x, y, 0], colour.R - 3, colour.R + 3);
                Assert.InRange(image[x, y, 1], colour.G - 3, colour.G + 3);
                Assert.InRange(image[x, y, 2], colour.B - 3, colour.B + 3);
            }
        }
    }

    [Fact]
    public void Per_class_bars_are_labelled_with_each_class_recall()
    {
        // README: engine eval --checkpoint run.ckpt --confusion-image confusion.png --per-class-image per-class.svg
        string confusion = TrainedCheckpoint.TempFile(".png"), svg = TrainedCheckpoint.TempFile(".svg");
        (int code, _, string error) = CliRunner.Run("eval", "--checkpoint", ConvCheckpoint.Path, "--confusion-image", confusion, "--per-class-image", svg);
        Assert.True(code == 0, error);
        string[] texts = XDocument.Load(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()).ToArray();
        double[] recall = Expected.Value.Recall();
        foreach (double r in recall)
        {
            Assert.Contains(r.ToString("0.000", CultureInfo.InvariantCulture), texts);
        }
        Assert.Contains("accuracy (recall)", texts);
        Assert.True(new FileInfo(confusion).Length > 1000);
    }

    [Fact]
    public void A_chart_file_of_another_type_is_refused_before_evaluating()
    {
        (int code, _, string error) = CliRunner.Run("eval", "--checkpoint", ConvCheckpoint.Path, "--confusion-image", "matrix.jpg");
        Assert.Equal(1, code);
        Assert.Equal("error: chart file 'matrix.jpg' must end in .png or .svg", error.Trim());
    }

    [GeneratedRegex(@"^translate\((?<x>[-\d.]+) (?<y>[-\d.]+)\)$")]
    private static partial Regex Translate();
}
