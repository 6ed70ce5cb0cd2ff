namespace Engine.Core.Plotting;

/// <summary>An RGB colour; <see cref="Hex"/> gives the SVG form.</summary>
/// <param name="R">Red, 0–255.</param>
/// <param name="G">Green, 0–255.</param>
/// <param name="B">Blue, 0–255.</param>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>E.g. <c>#1f77b4</c>.</summary>
    public string Hex => $"#{R:x2}{G:x2}{B:x2}";
}

/// <summary>One line of a chart: points (x, y); NaN values are gaps.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Colour">Line colour.</param>
/// <param name="X">X values.</param>
/// <param name="Y">Y values (same count).</param>
public sealed record Series(string Name, Rgb Colour, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>One panel: a title, axis labels and lines.</summary>
/// <param name="Title">Shown above the plot area.</param>
/// <param name="XLabel">Below the x axis.</param>
/// <param name="YLabel">Left of the y axis.</param>
/// <param name="Lines">The series drawn.</param>
public sealed record ChartPanel(string Title, string XLabel, string YLabel, IReadOnlyList<Series> Lines);

/// <summary>
/// The drawing surface the layout draws on; implemented once for SVG and once for a raster
/// image, so both outputs come from the same layout code.
/// </summary>
internal interface ICanvas
{
    int Width { get; }

    int Height { get; }

    void FillRectangle(double x, double y, double width, double height, Rgb colour);

    void Line(double x1, double y1, double x2, double y2, Rgb colour, double width);

    /// <summary>Text whose baseline-centre (anchor middle), left (start) or right (end) is at (x, y); height is the cap height in pixels.</summary>
    void Text(double x, double y, string text, double height, Rgb colour, TextAnchor anchor, bool vertical = false);
}

/// <summary>Horizontal alignment of text at its anchor point.</summary>
internal enum TextAnchor
{
    Start,
    Middle,
    End,
}
