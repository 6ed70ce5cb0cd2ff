using Engine.Imaging;

namespace Engine.Core.Plotting;

/// <summary>
/// Training curves of a <see cref="TrainingHistory"/>: two panels, loss and accuracy, each with the
/// training and validation lines (and test accuracy when measured) against the epoch, with axes,
/// tick labels and a legend. Written as SVG or PNG (rasterised here, encoded by <see cref="PngEncoder"/>).
/// </summary>
public static class TrainingCurves
{
    private static readonly Rgb Train = new(0x1f, 0x77, 0xb4);
    private static readonly Rgb Validation = new(0xff, 0x7f, 0x0e);
    private static readonly Rgb Test = new(0x2c, 0xa0, 0x2c);

    /// <summary>The two panels of <paramref name="history"/>; series with no finite value are left out.</summary>
    public static IReadOnlyList<ChartPanel> Panels(TrainingHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
        Series Line(string name, Rgb colour, Func<EpochResult, double> value) => new(name, colour, epochs, history.Select(value).ToArray());
        static List<Series> Present(params Series[] lines) => lines.Where(s => s.Y.Any(double.IsFinite)).ToList();
        return
        [
            new ChartPanel("Loss", "epoch", "loss", Present(Line("train", Train, r => r.TrainLoss), Line("validation", Validation, r => r.ValidationLoss))),
            new ChartPanel("Accuracy", "epoch", "top-1 accuracy", Present(
                Line("train", Train, r => r.TrainAccuracy), Line("validation", Validation, r => r.ValidationAccuracy), Line("test", Test, r => r.TestAccuracy))),
        ];
    }

    /// <summary>The curves as an SVG document.</summary>
    public static string ToSvg(TrainingHistory history, int width = 900, int height = 360)
    {
        var canvas = new SvgCanvas(width, height);
        ChartLayout.Draw(canvas, Panels(history));
        return canvas.ToString();
    }

    /// <summary>The curves as PNG bytes (RGB).</summary>
    public static byte[] ToPng(TrainingHistory history, int width = 900, int height = 360)
    {
        var canvas = new RasterCanvas(width, height);
        ChartLayout.Draw(canvas, Panels(history));
        return PngEncoder.Encode(width, height, 3, canvas.Pixels);
    }

    /// <summary>Writes <see cref="ToSvg"/> to <paramref name="path"/>.</summary>
    public static void WriteSvg(TrainingHistory history, string path, int width = 900, int height = 360) =>
        File.WriteAllText(path, ToSvg(history, width, height));

    /// <summary>Writes <see cref="ToPng"/> to <paramref name="path"/>.</summary>
    public static void WritePng(TrainingHistory history, string path, int width = 900, int height = 360) =>
        File.WriteAllBytes(path, ToPng(history, width, height));
}
