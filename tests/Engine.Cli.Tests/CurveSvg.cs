using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Engine.Cli.Tests;

/// <summary>
/// Reads back a ScottPlot SVG chart as Skia's SVG canvas writes it: each plotted series is a group
/// holding one stroked path (<c>M x y L x y …</c>) and its markers (<c>ellipse</c> circles or
/// <c>rect</c> squares); each text is placed by <c>transform="translate(x y)"</c>, a tick label at
/// its tick. The axes' value-to-pixel maps are fitted from the tick labels, so a point's value is
/// read the way a person reads it off the chart, independently of how the chart computed it.
/// </summary>
internal sealed partial class CurveSvg
{
    private CurveSvg(XDocument document)
    {
        XElement clip = document.Descendants().First(e => e.Name.LocalName == "clipPath").Elements().First();
        (Left, Top) = (Number(clip, "x"), Number(clip, "y"));
        (Right, Bottom) = (Left + Number(clip, "width"), Top + Number(clip, "height"));
        Texts = document.Descendants().Where(e => e.Name.LocalName == "text").Select(e =>
        {
            Match at = Translate().Match((string?)e.Attribute("transform") ?? "");
            return new Label(e.Value.Trim(), at.Success ? Parse(at.Groups["x"].Value) : double.NaN, at.Success ? Parse(at.Groups["y"].Value) : double.NaN);
        }).ToArray();
        Series = document.Descendants().Where(e => e.Name.LocalName == "g")
            .Select(g => (Group: g, Line: g.Elements().FirstOrDefault(e => e.Name.LocalName == "path" && e.Attribute("stroke") is not null)))
            .Where(s => s.Line is not null)
            .Select(s => new Line(
                ((string)s.Line!.Attribute("stroke")!).ToUpperInvariant(),
                Point().Matches((string)s.Line.Attribute("d")!).Select(m => (Parse(m.Groups["x"].Value), Parse(m.Groups["y"].Value))).ToArray(),
                s.Group.Elements().Where(e => e.Name.LocalName is "ellipse" or "rect").Select(e => e.Name.LocalName == "ellipse"
                    ? (Number(e, "cx"), Number(e, "cy"))
                    : (Number(e, "x") + (Number(e, "width") / 2), Number(e, "y") + (Number(e, "height") / 2))).ToArray(),
                s.Group.Elements().Any(e => e.Name.LocalName == "rect")))
            // The legend's sample lines are drawn the same way, below the data area.
            .Where(l => l.Points.Length > 0 && l.Points.All(p => p.Y <= Bottom + 0.5 && p.Y >= Top - 0.5))
            .ToArray();
    }

    /// <summary>The data area's edges in pixels.</summary>
    public double Left { get; }

    /// <inheritdoc cref="Left"/>
    public double Top { get; }

    /// <inheritdoc cref="Left"/>
    public double Right { get; }

    /// <inheritdoc cref="Left"/>
    public double Bottom { get; }

    /// <summary>Every text with its position.</summary>
    public IReadOnlyList<Label> Texts { get; }

    /// <summary>The plotted series in drawing order.</summary>
    public IReadOnlyList<Line> Series { get; }

    public static CurveSvg Load(string path) => new(XDocument.Load(path));

    /// <summary>Maps pixels to values along the bottom axis, fitted to its tick labels.</summary>
    public Func<double, double> BottomAxis() => Fit(Ticks(t => t.Y > Bottom + 1 && t.Y < Bottom + 20 && t.X >= Left && t.X <= Right).Select(t => (t.X, t.Value)));

    /// <summary>Maps pixels to values along the left axis.</summary>
    public Func<double, double> LeftAxis() => Fit(Ticks(t => t.X < Left).Select(t => (t.Y, t.Value)));

    /// <summary>Maps pixels to values along the right axis.</summary>
    public Func<double, double> RightAxis() => Fit(Ticks(t => t.X > Right).Select(t => (t.Y, t.Value)));

    private IEnumerable<(double X, double Y, double Value)> Ticks(Func<Label, bool> where) =>
        Texts.Where(t => double.TryParse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && where(t))
            .Select(t => (t.X, t.Y, Parse(t.Text)));

    // Least squares through the (pixel, value) pairs of an axis' tick labels; at least two are needed.
    private static Func<double, double> Fit(IEnumerable<(double Pixel, double Value)> ticks)
    {
        var t = ticks.ToArray();
        Assert.True(t.Length >= 2, $"an axis needs two tick labels, found {t.Length}");
        double mp = t.Average(p => p.Pixel), mv = t.Average(p => p.Value);
        double slope = t.Sum(p => (p.Pixel - mp) * (p.Value - mv)) / t.Sum(p => (p.Pixel - mp) * (p.Pixel - mp));
        return pixel => mv + (slope * (pixel - mp));
    }

    private static double Number(XElement e, string attribute) => Parse((string)e.Attribute(attribute)!);

    private static double Parse(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"translate\((?<x>[-\d.e]+)[ ,]+(?<y>[-\d.e]+)\)")]
    private static partial Regex Translate();

    [GeneratedRegex(@"[ML](?<x>[-\d.e]+)[ ,](?<y>[-\d.e]+)")]
    private static partial Regex Point();

    /// <summary>A text and where it is anchored.</summary>
    public sealed record Label(string Text, double X, double Y);

    /// <summary>A series: its stroke colour (#RRGGBB), its line's vertices, its markers' centres, and whether they are squares.</summary>
    public sealed record Line(string Colour, (double X, double Y)[] Points, (double X, double Y)[] Markers, bool Squares);
}
