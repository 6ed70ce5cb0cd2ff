namespace Engine.Core.Plotting;

/// <summary>
/// Draws panels side by side on a canvas: white background, a framed plot area per panel, tick
/// marks and labels on both axes, light grid lines, the series as polylines with point markers,
/// and a legend in the panel's top-right corner.
/// </summary>
internal static class ChartLayout
{
    private static readonly Rgb Black = new(0, 0, 0);
    private static readonly Rgb Grid = new(225, 225, 225);
    private static readonly Rgb White = new(255, 255, 255);

    public static void Draw(ICanvas canvas, IReadOnlyList<ChartPanel> panels)
    {
        canvas.FillRectangle(0, 0, canvas.Width, canvas.Height, White);
        double panelWidth = (double)canvas.Width / panels.Count;
        for (int i = 0; i < panels.Count; i++)
        {
            DrawPanel(canvas, panels[i], i * panelWidth, panelWidth, canvas.Height);
        }
    }

    private static void DrawPanel(ICanvas canvas, ChartPanel panel, double left, double width, double height)
    {
        const double text = 8; // cap height of labels in pixels
        double plotLeft = left + 62, plotRight = left + width - 16, plotTop = 30, plotBottom = height - 44;
        canvas.Text(left + width / 2, 18, panel.Title, text + 2, Black, TextAnchor.Middle);
        canvas.Text(left + 14, (plotTop + plotBottom) / 2, panel.YLabel, text, Black, TextAnchor.Middle, vertical: true);
        canvas.Text((plotLeft + plotRight) / 2, height - 8, panel.XLabel, text, Black, TextAnchor.Middle);

        var xs = panel.Lines.SelectMany(s => s.X).Where(double.IsFinite).DefaultIfEmpty(1).ToList();
        var ys = panel.Lines.SelectMany(s => s.Y).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var x = AxisTicks.For(xs.Min(), Math.Max(xs.Max(), xs.Min() + 1), 8, integers: true);
        var y = AxisTicks.For(ys.Min(), ys.Max(), 5);
        double Px(double v) => plotLeft + (v - x.Low) / (x.High - x.Low) * (plotRight - plotLeft);
        double Py(double v) => plotBottom - (v - y.Low) / (y.High - y.Low) * (plotBottom - plotTop);

        foreach (double t in y.Ticks)
        {
            canvas.Line(plotLeft, Py(t), plotRight, Py(t), Grid, 1);
            canvas.Line(plotLeft - 4, Py(t), plotLeft, Py(t), Black, 1);
            canvas.Text(plotLeft - 7, Py(t) + text / 2, AxisTicks.Label(t, y.Step), text, Black, TextAnchor.End);
        }
        foreach (double t in x.Ticks)
        {
            canvas.Line(Px(t), plotBottom, Px(t), plotBottom + 4, Black, 1);
            canvas.Text(Px(t), plotBottom + 8 + text, AxisTicks.Label(t, x.Step), text, Black, TextAnchor.Middle);
        }
        canvas.Line(plotLeft, plotTop, plotLeft, plotBottom, Black, 1);
        canvas.Line(plotLeft, plotBottom, plotRight, plotBottom, Black, 1);
        canvas.Line(plotLeft, plotTop, plotRight, plotTop, Black, 1);
        canvas.Line(plotRight, plotTop, plotRight, plotBottom, Black, 1);

        foreach (Series s in panel.Lines)
        {
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!double.IsFinite(s.Y[i]))
                {
                    continue;
                }
                if (i > 0 && double.IsFinite(s.Y[i - 1]))
                {
                    canvas.Line(Px(s.X[i - 1]), Py(s.Y[i - 1]), Px(s.X[i]), Py(s.Y[i]), s.Colour, 2);
                }
                canvas.FillRectangle(Px(s.X[i]) - 2, Py(s.Y[i]) - 2, 5, 5, s.Colour);
            }
        }

        var shown = panel.Lines.Where(s => s.Y.Any(double.IsFinite)).ToList();
        double legendWidth = 24 + shown.Select(s => s.Name.Length).DefaultIfEmpty(0).Max() * text * 0.75 + 8;
        double legendHeight = 8 + shown.Count * (text + 8);
        double legendLeft = plotRight - legendWidth - 6, legendTop = plotTop + 6;
        // Rising curves (accuracy) end in the top-right corner: put the legend bottom-right instead.
        var ends = shown.Select(s => s.Y.LastOrDefault(double.IsFinite, double.NaN)).Where(double.IsFinite).ToList();
        if (ends.Count > 0 && Py(ends.Average()) < (plotTop + plotBottom) / 2)
        {
            legendTop = plotBottom - legendHeight - 6;
        }
        if (shown.Count > 0)
        {
            canvas.FillRectangle(legendLeft, legendTop, legendWidth, legendHeight, White);
        }
        for (int i = 0; i < shown.Count; i++)
        {
            double rowY = legendTop + 6 + i * (text + 8) + text / 2;
            canvas.Line(legendLeft + 4, rowY, legendLeft + 20, rowY, shown[i].Colour, 2);
            canvas.Text(legendLeft + 24, rowY + text / 2, shown[i].Name, text, Black, TextAnchor.Start);
        }
    }
}
