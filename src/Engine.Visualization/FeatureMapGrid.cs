using System.Globalization;

namespace Engine.Visualization;

/// <summary>
/// A layer's activations for one input as a picture: one grey tile per channel in a near-square grid,
/// each map scaled on its own from its minimum (0, black) to its maximum (255, white), i.e.
/// round(255·(v − min)/(max − min)); a constant map is black.
/// </summary>
public static class FeatureMapGrid
{
    /// <summary>Draws the first <paramref name="maxMaps"/> maps of <paramref name="activations"/> (channels × height × width).</summary>
    public static FeatureMapPicture Render(ReadOnlySpan<float> activations, Shape shape, int maxMaps = 64, int zoom = 0)
    {
        if (shape.Rank != 3 || activations.Length != shape.ElementCount)
        {
            throw new ShapeException($"feature maps must be channels × height × width, got {shape} ({activations.Length} values)");
        }
        int channels = shape[0], h = shape[1], w = shape[2];
        int shown = Math.Min(channels, Math.Max(1, maxMaps));
        int z = zoom > 0 ? zoom : FilterGrid.AutoZoom(h, w, 64);
        GridLayout layout = GridLayout.Square(shown, w * z, h * z);
        var image = new RasterImage(layout.Width, layout.Height);
        var ranges = new (double Min, double Max)[shown];
        for (int c = 0; c < shown; c++)
        {
            ReadOnlySpan<float> map = activations.Slice(c * h * w, h * w);
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            foreach (float v in map)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            ranges[c] = (min, max);
            (int x0, int y0) = layout.Origin(c / layout.Columns, c % layout.Columns);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    byte level = Level(map[(y * w) + x], min, max);
                    image.Block(x0 + (x * z), y0 + (y * z), z, level, level, level);
                }
            }
        }
        string scale = string.Create(CultureInfo.InvariantCulture,
            $"each map on its own scale: its minimum = 0 (black), its maximum = 255 (white); values from {ranges.Min(r => r.Min):G4} to {ranges.Max(r => r.Max):G4}");
        return new FeatureMapPicture(image, shown, channels, z, ranges, scale);
    }

    /// <summary><paramref name="picture"/> with a <see cref="ScaleBar"/>: white each map's maximum, black its minimum, and the range of values.</summary>
    public static RasterImage WithScaleBar(FeatureMapPicture picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        string Number(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
        return ScaleBar.Attach(picture.Image, "map maximum", "", "map minimum",
            ["each map on its own scale;", $"values {Number(picture.Ranges.Min(r => r.Min))} to {Number(picture.Ranges.Max(r => r.Max))}"]);
    }

    /// <summary>The grey level of <paramref name="v"/> in a map ranging over [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static byte Level(double v, double min, double max)
    {
        if (!(max > min) || double.IsNaN(v))
        {
            return 0;
        }
        return (byte)Math.Clamp(Math.Round(255 * (v - min) / (max - min), MidpointRounding.AwayFromZero), 0, 255);
    }
}

/// <summary>A rendered feature-map grid and what it shows.</summary>
/// <param name="Image">The picture.</param>
/// <param name="MapsShown">Maps drawn.</param>
/// <param name="Maps">Channels the layer outputs.</param>
/// <param name="Zoom">Pixels per activation along each axis.</param>
/// <param name="Ranges">Each drawn map's minimum and maximum.</param>
/// <param name="Scale">The scale in words.</param>
public sealed record FeatureMapPicture(RasterImage Image, int MapsShown, int Maps, int Zoom, IReadOnlyList<(double Min, double Max)> Ranges, string Scale);
