using System.Globalization;

namespace Engine.Visualization;

/// <summary>
/// A convolution's filters as a picture. Each filter is scaled on its own, symmetrically about zero:
/// a weight w of a filter whose largest magnitude is m becomes round(127.5 + 127.5·w/m), so 0 is mid
/// grey (128), +m white (255) and −m black (0) in every tile, and the sign of a weight can be read
/// at a glance. Filters over three input channels (the first layer of an RGB model) are drawn in
/// colour, channel 0, 1, 2 as red, green, blue, in a near-square grid, as are single-channel filters
/// in grey; other filters get one grey tile per input channel, a row per filter and a column per channel.
/// </summary>
public static class FilterGrid
{
    /// <summary>
    /// Draws the filters of <paramref name="weights"/> (filters × channels × height × width, row-major),
    /// the first <paramref name="maxFilters"/> filters and <paramref name="maxChannels"/> channels,
    /// each weight a <paramref name="zoom"/>×<paramref name="zoom"/> block (0: chosen so a tile is about 32 pixels).
    /// With <paramref name="sharedScale"/> every filter uses the largest magnitude of all the drawn filters
    /// (so filters compare with each other) instead of its own.
    /// </summary>
    public static FilterPicture Render(ReadOnlySpan<float> weights, Shape shape, int maxFilters = 64, int maxChannels = 16, int zoom = 0, bool colour = true, bool sharedScale = false)
    {
        if (shape.Rank != 4 || weights.Length != shape.ElementCount)
        {
            throw new ShapeException($"filters must be a filters × channels × height × width array, got {shape} ({weights.Length} values)");
        }
        int filters = shape[0], channels = shape[1], kh = shape[2], kw = shape[3];
        int shownFilters = Math.Min(filters, Math.Max(1, maxFilters));
        bool inColour = colour && channels == 3;
        int shownChannels = inColour ? 3 : Math.Min(channels, Math.Max(1, maxChannels));
        int z = zoom > 0 ? zoom : AutoZoom(kh, kw, 32);
        // One tile per filter (a square grid) in colour or when there is one channel; else a row per filter.
        bool square = inColour || channels == 1;
        GridLayout layout = square
            ? GridLayout.Square(shownFilters, kw * z, kh * z)
            : new GridLayout(shownFilters, shownChannels, kw * z, kh * z);
        var image = new RasterImage(layout.Width, layout.Height);
        int filterSize = channels * kh * kw;
        var peaks = new double[shownFilters];
        for (int f = 0; f < shownFilters; f++)
        {
            peaks[f] = MaxAbs(weights.Slice(f * filterSize, filterSize));
        }
        double shared = peaks.Max();
        for (int f = 0; f < shownFilters; f++)
        {
            ReadOnlySpan<float> filter = weights.Slice(f * filterSize, filterSize);
            double m = sharedScale ? shared : peaks[f];
            for (int c = 0; c < shownChannels; c++)
            {
                (int x0, int y0) = square ? layout.Origin(f / layout.Columns, f % layout.Columns) : layout.Origin(f, c);
                for (int y = 0; y < kh; y++)
                {
                    for (int x = 0; x < kw; x++)
                    {
                        if (inColour)
                        {
                            int at = (y * kw) + x;
                            image.Block(x0 + (x * z), y0 + (y * z), z, Level(filter[at], m), Level(filter[(kh * kw) + at], m), Level(filter[(2 * kh * kw) + at], m));
                        }
                        else
                        {
                            byte v = Level(filter[(((c * kh) + y) * kw) + x], m);
                            image.Block(x0 + (x * z), y0 + (y * z), z, v, v, v);
                        }
                    }
                }
                if (inColour)
                {
                    break;
                }
            }
        }
        string scale = sharedScale
            ? string.Create(CultureInfo.InvariantCulture, $"one scale for all filters: 0 = mid grey (128), +{shared:G4} = 255, −{shared:G4} = 0")
            : string.Create(CultureInfo.InvariantCulture, $"each filter on its own scale: 0 = mid grey (128), +max|w| = 255, −max|w| = 0; max|w| per filter from {peaks.Min():G4} to {peaks.Max():G4}");
        return new FilterPicture(image, inColour, shownFilters, filters, shownChannels, channels, z, sharedScale ? [.. peaks.Select(_ => shared)] : peaks, scale);
    }

    /// <summary>
    /// <paramref name="picture"/> with a <see cref="ScaleBar"/>: white +m, mid grey 0, black −m, where m
    /// is the shared magnitude, or with a scale per filter the words "+max|w|" and the range of m.
    /// </summary>
    public static RasterImage WithScaleBar(FilterPicture picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        double low = picture.MaxAbs.Min(), high = picture.MaxAbs.Max();
        string Number(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
        return low == high
            ? ScaleBar.Attach(picture.Image, "+" + Number(high), "0", "−" + Number(high), [picture.MaxAbs.Count == 1 ? "the filter's weights" : "all filters on this scale"])
            : ScaleBar.Attach(picture.Image, "+max|w|", "0", "−max|w|", ["each filter on its own scale;", $"max|w| {Number(low)} to {Number(high)}"]);
    }

    /// <summary>The grey level of weight <paramref name="w"/> in a filter whose largest magnitude is <paramref name="maxAbs"/>.</summary>
    public static byte Level(double w, double maxAbs)
    {
        if (!(maxAbs > 0) || double.IsNaN(w))
        {
            return 128;
        }
        double v = Math.Round(127.5 + (127.5 * w / maxAbs), MidpointRounding.AwayFromZero);
        return (byte)Math.Clamp(v, 0, 255);
    }

    /// <summary>The integer zoom that makes the larger side of an h×w tile about <paramref name="target"/> pixels (at least 1).</summary>
    public static int AutoZoom(int h, int w, int target) => Math.Max(1, target / Math.Max(1, Math.Max(h, w)));

    private static double MaxAbs(ReadOnlySpan<float> values)
    {
        double m = 0;
        foreach (float v in values)
        {
            if (float.IsFinite(v))
            {
                m = Math.Max(m, Math.Abs(v));
            }
        }
        return m;
    }
}

/// <summary>A rendered filter grid and what it shows.</summary>
/// <param name="Image">The picture.</param>
/// <param name="Colour">Whether filters are drawn as RGB tiles (three input channels).</param>
/// <param name="FiltersShown">Filters drawn.</param>
/// <param name="Filters">Filters the layer has.</param>
/// <param name="ChannelsShown">Input channels drawn per filter.</param>
/// <param name="Channels">Input channels per filter.</param>
/// <param name="Zoom">Pixels per weight along each axis.</param>
/// <param name="MaxAbs">Each drawn filter's largest weight magnitude (its scale).</param>
/// <param name="Scale">The scale in words.</param>
public sealed record FilterPicture(RasterImage Image, bool Colour, int FiltersShown, int Filters, int ChannelsShown, int Channels, int Zoom, IReadOnlyList<double> MaxAbs, string Scale);
