namespace Engine.Core.Plotting;

/// <summary>
/// An RGB pixel buffer with the few primitives charts need: rectangles, anti-aliased lines
/// (coverage of a capsule of the line's width, sampled at pixel centres with a one-pixel soft edge)
/// and text in <see cref="BitmapFont"/>, scaled by whole pixels.
/// </summary>
internal sealed class RasterCanvas : ICanvas
{
    private readonly byte[] _pixels;

    public RasterCanvas(int width, int height)
    {
        Width = width;
        Height = height;
        _pixels = new byte[checked(width * height * 3)];
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major RGB bytes.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    public void FillRectangle(double x, double y, double width, double height, Rgb colour)
    {
        // Floor both edges: rounding half to even would make equal-width cells alternate between 0 and 2 pixels.
        int x0 = Math.Max(0, (int)Math.Floor(x)), y0 = Math.Max(0, (int)Math.Floor(y));
        int x1 = Math.Min(Width, (int)Math.Floor(x + width)), y1 = Math.Min(Height, (int)Math.Floor(y + height));
        for (int py = y0; py < y1; py++)
        {
            for (int px = x0; px < x1; px++)
            {
                Blend(px, py, colour, 1);
            }
        }
    }

    public void Line(double x1, double y1, double x2, double y2, Rgb colour, double width)
    {
        double half = width / 2;
        int left = (int)Math.Floor(Math.Min(x1, x2) - half - 1), right = (int)Math.Ceiling(Math.Max(x1, x2) + half + 1);
        int top = (int)Math.Floor(Math.Min(y1, y2) - half - 1), bottom = (int)Math.Ceiling(Math.Max(y1, y2) + half + 1);
        double dx = x2 - x1, dy = y2 - y1, lengthSquared = dx * dx + dy * dy;
        for (int py = Math.Max(0, top); py <= Math.Min(Height - 1, bottom); py++)
        {
            for (int px = Math.Max(0, left); px <= Math.Min(Width - 1, right); px++)
            {
                // Distance from the pixel centre to the segment; coverage falls from 1 to 0 over the last pixel.
                double cx = px + 0.5, cy = py + 0.5;
                double t = lengthSquared == 0 ? 0 : Math.Clamp(((cx - x1) * dx + (cy - y1) * dy) / lengthSquared, 0, 1);
                double ex = cx - (x1 + t * dx), ey = cy - (y1 + t * dy);
                double coverage = Math.Clamp(half + 0.5 - Math.Sqrt(ex * ex + ey * ey), 0, 1);
                if (coverage > 0)
                {
                    Blend(px, py, colour, coverage);
                }
            }
        }
    }

    public void Text(double x, double y, string text, double height, Rgb colour, TextAnchor anchor, bool vertical = false)
    {
        int scale = Math.Max(1, (int)Math.Round(height / BitmapFont.GlyphHeight));
        int length = BitmapFont.Measure(text) * scale;
        int offset = anchor switch { TextAnchor.Start => 0, TextAnchor.Middle => -length / 2, _ => -length };
        (x, y) = (Math.Floor(x), Math.Floor(y)); // whole pixels, so every glyph cell is exactly scale × scale
        // (x, y) is on the baseline; along the text runs u, upwards v.
        for (int i = 0; i < text.Length; i++)
        {
            for (int row = 0; row < BitmapFont.GlyphHeight; row++)
            {
                for (int column = 0; column < BitmapFont.GlyphWidth; column++)
                {
                    if (!BitmapFont.IsSet(text[i], column, row))
                    {
                        continue;
                    }
                    double u = offset + (i * BitmapFont.Advance + column) * scale;
                    double v = (BitmapFont.GlyphHeight - row) * scale;
                    if (vertical)
                    {
                        FillRectangle(x - v, y - u - scale, scale, scale, colour);
                    }
                    else
                    {
                        FillRectangle(x + u, y - v, scale, scale, colour);
                    }
                }
            }
        }
    }

    private void Blend(int x, int y, Rgb colour, double alpha)
    {
        int i = (y * Width + x) * 3;
        _pixels[i] = Mix(_pixels[i], colour.R, alpha);
        _pixels[i + 1] = Mix(_pixels[i + 1], colour.G, alpha);
        _pixels[i + 2] = Mix(_pixels[i + 2], colour.B, alpha);
    }

    private static byte Mix(byte under, byte over, double alpha) => (byte)Math.Round(under + (over - under) * alpha);
}
