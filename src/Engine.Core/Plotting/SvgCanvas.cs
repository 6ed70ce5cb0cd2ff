using System.Globalization;
using System.Text;

namespace Engine.Core.Plotting;

/// <summary>Collects drawing calls as SVG elements; <see cref="ToString"/> gives the document.</summary>
internal sealed class SvgCanvas(int width, int height) : ICanvas
{
    private readonly StringBuilder _body = new();

    public int Width => width;

    public int Height => height;

    public void FillRectangle(double x, double y, double w, double h, Rgb colour) =>
        Append($"<rect x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{w:0.##}\" height=\"{h:0.##}\" fill=\"{colour.Hex}\"/>");

    public void Line(double x1, double y1, double x2, double y2, Rgb colour, double lineWidth) =>
        Append($"<line x1=\"{x1:0.##}\" y1=\"{y1:0.##}\" x2=\"{x2:0.##}\" y2=\"{y2:0.##}\" stroke=\"{colour.Hex}\" stroke-width=\"{lineWidth:0.##}\"/>");

    public void Text(double x, double y, string text, double capHeight, Rgb colour, TextAnchor anchor, bool vertical = false)
    {
        string anchorName = anchor switch { TextAnchor.Start => "start", TextAnchor.Middle => "middle", _ => "end" };
        string rotate = vertical ? string.Create(CultureInfo.InvariantCulture, $" transform=\"rotate(-90 {x:0.##} {y:0.##})\"") : "";
        // A sans-serif cap height is about 0.72 em.
        Append($"<text x=\"{x:0.##}\" y=\"{y:0.##}\" font-family=\"sans-serif\" font-size=\"{capHeight / 0.72:0.#}\" text-anchor=\"{anchorName}\" fill=\"{colour.Hex}\"{rotate}>{Escape(text)}</text>");
    }

    public override string ToString() =>
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n{_body}</svg>\n";

    private void Append(FormattableString element) => _body.Append(element.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
