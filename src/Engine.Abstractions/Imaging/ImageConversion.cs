namespace Engine.Imaging;

/// <summary>
/// Turns decoded images into the engine's sample layout (floats C×H×W in [0, 1]) and resizes
/// float images bilinearly.
/// </summary>
public static class ImageConversion
{
    /// <summary>
    /// The colour channels of <paramref name="image"/> as floats C×H×W in [0, 1] (byte / 255), with
    /// <paramref name="channels"/> output channels: 1 gives grey (RGB is converted with the ITU-R BT.601
    /// luma weights 0.299, 0.587, 0.114), 3 gives RGB (grey is repeated). Alpha is dropped.
    /// <paramref name="channels"/> 0 keeps the image's own colour channels.
    /// </summary>
    public static float[] ToPlanarFloats(DecodedImage image, int channels = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        int outChannels = channels == 0 ? image.ColourChannels : channels;
        if (outChannels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be 0 (keep), 1 or 3, not {channels}");
        }
        int plane = image.Width * image.Height;
        var result = new float[outChannels * plane];
        byte[] pixels = image.Pixels;
        int stride = image.Channels;
        const float inv = 1f / 255f;
        for (int p = 0; p < plane; p++)
        {
            int at = p * stride;
            if (image.ColourChannels == outChannels)
            {
                for (int c = 0; c < outChannels; c++)
                {
                    result[c * plane + p] = pixels[at + c] * inv;
                }
            }
            else if (outChannels == 3)
            {
                float grey = pixels[at] * inv;
                result[p] = grey;
                result[plane + p] = grey;
                result[2 * plane + p] = grey;
            }
            else
            {
                result[p] = (0.299f * pixels[at] + 0.587f * pixels[at + 1] + 0.114f * pixels[at + 2]) * inv;
            }
        }
        return result;
    }

    /// <summary>
    /// Resizes a C×H×W float image to C×<paramref name="outHeight"/>×<paramref name="outWidth"/> by
    /// bilinear interpolation with pixel centres aligned (output pixel centre x maps to source
    /// (x + 0.5)·W/outW − 0.5, clamped to the image), so equal sizes copy exactly and a constant image
    /// stays constant.
    /// </summary>
    public static void ResizeBilinear(ReadOnlySpan<float> source, int channels, int height, int width, Span<float> destination, int outHeight, int outWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outWidth, 1);
        if (source.Length < channels * height * width || destination.Length < channels * outHeight * outWidth)
        {
            throw new ArgumentException($"buffers are too small for {channels}x{height}x{width} -> {channels}x{outHeight}x{outWidth}");
        }
        ResizeRegion(source, channels, height, width, 0, 0, height, width, destination, outHeight, outWidth);
    }

    /// <summary>
    /// Resizes the region of <paramref name="regionHeight"/>×<paramref name="regionWidth"/> pixels at
    /// (<paramref name="top"/>, <paramref name="left"/>) of a C×H×W image (the region may have fractional
    /// bounds) to C×<paramref name="outHeight"/>×<paramref name="outWidth"/>, bilinearly; samples falling
    /// outside the image are clamped to its border.
    /// </summary>
    public static void ResizeRegion(ReadOnlySpan<float> source, int channels, int height, int width,
        double top, double left, double regionHeight, double regionWidth, Span<float> destination, int outHeight, int outWidth)
    {
        double sy = regionHeight / outHeight, sx = regionWidth / outWidth;
        int plane = height * width, outPlane = outHeight * outWidth;
        for (int y = 0; y < outHeight; y++)
        {
            double fy = Math.Clamp(top + (y + 0.5) * sy - 0.5, 0, height - 1);
            int y0 = (int)fy;
            int y1 = Math.Min(y0 + 1, height - 1);
            float wy = (float)(fy - y0);
            for (int x = 0; x < outWidth; x++)
            {
                double fx = Math.Clamp(left + (x + 0.5) * sx - 0.5, 0, width - 1);
                int x0 = (int)fx;
                int x1 = Math.Min(x0 + 1, width - 1);
                float wx = (float)(fx - x0);
                for (int c = 0; c < channels; c++)
                {
                    int b = c * plane;
                    float top0 = source[b + y0 * width + x0] + (source[b + y0 * width + x1] - source[b + y0 * width + x0]) * wx;
                    float bottom = source[b + y1 * width + x0] + (source[b + y1 * width + x1] - source[b + y1 * width + x0]) * wx;
                    destination[c * outPlane + y * outWidth + x] = top0 + (bottom - top0) * wy;
                }
            }
        }
    }
}
