using SkiaSharp;

namespace Engine.Imaging;

/// <summary>
/// Turns a decoded image upright from the orientation its file records (the EXIF orientation tag of
/// a JPEG, 1 to 8): cameras store the sensor's rows and only tag how to show them, so without this a
/// portrait photo would train as a landscape one.
/// </summary>
internal static class ImageOrientation
{
    public static DecodedImage Upright(DecodedImage image, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or < SKEncodedOrigin.TopLeft or > SKEncodedOrigin.LeftBottom)
        {
            return image;
        }
        int w = image.Width, h = image.Height, c = image.Channels;
        bool swaps = origin >= SKEncodedOrigin.LeftTop; // 5 to 8 turn by a quarter: width and height trade places
        int outW = swaps ? h : w, outH = swaps ? w : h;
        var pixels = new byte[image.Pixels.Length];
        for (int y = 0; y < outH; y++)
        {
            for (int x = 0; x < outW; x++)
            {
                // Where the shown pixel (x, y) is stored, per the tag's meaning (which stored side is the top and which the left).
                (int sx, int sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x), // LeftBottom
                };
                Array.Copy(image.Pixels, (sy * w + sx) * c, pixels, (y * outW + x) * c, c);
            }
        }
        return new DecodedImage(outW, outH, c, pixels);
    }
}
