using SkiaSharp;

namespace Engine.Visualization;

/// <summary>
/// A colour bar beside a grid picture: a vertical grey ramp, white at the top and black at the bottom,
/// with what those greys stand for written next to its top, middle and bottom, and caption lines
/// (the range of the scale) under it. The grid's pixels are copied unchanged (a picture stays exact);
/// only the panel's text is drawn with Skia, in <see cref="ChartImage.FontFamily"/>.
/// </summary>
public static class ScaleBar
{
    /// <summary>Width of the panel added right of the grid, in pixels.</summary>
    public const int PanelWidth = 190;

    /// <summary>Width of the ramp, in pixels.</summary>
    public const int BarWidth = 16;

    /// <summary>Space left of the ramp and above and below it, in pixels.</summary>
    public const int Margin = 10;

    /// <summary>The least height of the picture with its bar, so the labels and captions fit.</summary>
    public const int MinimumHeight = 190;

    private const int CaptionLineHeight = 15;

    private const byte FrameGrey = 160;

    /// <summary>Where the bar goes beside a <paramref name="gridWidth"/>×<paramref name="gridHeight"/> grid with <paramref name="captionLines"/> caption lines.</summary>
    public static ScaleBarLayout Layout(int gridWidth, int gridHeight, int captionLines)
    {
        int height = Math.Max(gridHeight, MinimumHeight);
        int top = Margin + 6; // room for the top label's upper half
        int bottom = height - Margin - 6 - (captionLines * CaptionLineHeight) - 1;
        return new ScaleBarLayout(gridWidth + PanelWidth, height, gridWidth + Margin, top, bottom);
    }

    /// <summary>The grey of row <paramref name="y"/> of a ramp from <paramref name="top"/> (255) to <paramref name="bottom"/> (0).</summary>
    public static byte Level(int y, int top, int bottom) =>
        (byte)Math.Round(255.0 * (bottom - y) / (bottom - top), MidpointRounding.AwayFromZero);

    /// <summary>
    /// <paramref name="grid"/> with the bar right of it; <paramref name="high"/>, <paramref name="middle"/>
    /// and <paramref name="low"/> name white, mid grey and black; <paramref name="caption"/> lines go below.
    /// </summary>
    public static RasterImage Attach(RasterImage grid, string high, string middle, string low, IReadOnlyList<string> caption)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ScaleBarLayout layout = Layout(grid.Width, grid.Height, caption.Count);
        var image = new RasterImage(layout.Width, layout.Height);
        DrawText(image, layout, high, middle, low, caption);
        for (int y = 0; y < grid.Height; y++)
        {
            Array.Copy(grid.Pixels, y * grid.Width * 3, image.Pixels, y * layout.Width * 3, grid.Width * 3);
        }
        // A grey frame one pixel outside the ramp, so its white end shows on the white page.
        for (int y = layout.BarTop - 1; y <= layout.BarBottom + 1; y++)
        {
            for (int x = layout.BarLeft - 1; x <= layout.BarLeft + BarWidth; x++)
            {
                image.Set(x, y, FrameGrey, FrameGrey, FrameGrey);
            }
        }
        for (int y = layout.BarTop; y <= layout.BarBottom; y++)
        {
            byte v = Level(y, layout.BarTop, layout.BarBottom);
            for (int x = layout.BarLeft; x < layout.BarLeft + BarWidth; x++)
            {
                image.Set(x, y, v, v, v);
            }
        }
        return image;
    }

    // Text is drawn on a white Skia bitmap of the whole picture and copied in first; the grid and the
    // ramp are then written over it pixel by pixel, so anti-aliasing never touches them.
    private static void DrawText(RasterImage image, ScaleBarLayout layout, string high, string middle, string low, IReadOnlyList<string> caption)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using SKTypeface typeface = ChartImage.FontFamily is string family ? SKTypeface.FromFamilyName(family) : SKTypeface.Default;
            using var font = new SKFont(typeface, 12);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            float x = layout.BarLeft + BarWidth + 6;
            float middleY = (layout.BarTop + layout.BarBottom) / 2f;
            // Baselines a third of the font size below the row they label, which centres the digits on it.
            canvas.DrawText(high, x, layout.BarTop + 4, SKTextAlign.Left, font, paint);
            canvas.DrawText(middle, x, middleY + 4, SKTextAlign.Left, font, paint);
            canvas.DrawText(low, x, layout.BarBottom + 4, SKTextAlign.Left, font, paint);
            using var small = new SKFont(typeface, 11);
            for (int i = 0; i < caption.Count; i++)
            {
                canvas.DrawText(caption[i], layout.BarLeft, layout.BarBottom + 10 + ((i + 1) * CaptionLineHeight), SKTextAlign.Left, small, paint);
            }
        }
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                image.Set(x, y, c.Red, c.Green, c.Blue);
            }
        }
    }
}

/// <summary>Where a <see cref="ScaleBar"/> puts things, in pixels of the whole picture.</summary>
/// <param name="Width">Picture width.</param>
/// <param name="Height">Picture height.</param>
/// <param name="BarLeft">The ramp's left column.</param>
/// <param name="BarTop">The ramp's top row (white).</param>
/// <param name="BarBottom">The ramp's bottom row (black).</param>
public readonly record struct ScaleBarLayout(int Width, int Height, int BarLeft, int BarTop, int BarBottom);
