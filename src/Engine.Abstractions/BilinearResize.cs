namespace Engine;

/// <summary>
/// Bilinear resizing of samples held as floats C×H×W: what the image-folder loader, <c>predict</c>
/// and the resized-crop augmentation share. It works on the engine's sample layout, not on image
/// files (decoding those is the Engine.Imaging library's business, outside the SDK).
/// </summary>
public static class BilinearResize
{
    /// <summary>
    /// Resizes a C×H×W float image to C×<paramref name="outHeight"/>×<paramref name="outWidth"/> by
    /// bilinear interpolation with pixel centres aligned (output pixel centre x maps to source
    /// (x + 0.5)·W/outW − 0.5, clamped to the image), so equal sizes copy exactly and a constant image
    /// stays constant.
    /// </summary>
    public static void Resize(ReadOnlySpan<float> source, int channels, int height, int width, Span<float> destination, int outHeight, int outWidth)
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
        Region(source, channels, height, width, 0, 0, height, width, destination, outHeight, outWidth);
    }

    /// <summary>
    /// Resizes the region of <paramref name="regionHeight"/>×<paramref name="regionWidth"/> pixels at
    /// (<paramref name="top"/>, <paramref name="left"/>) of a C×H×W image (the region may have fractional
    /// bounds) to C×<paramref name="outHeight"/>×<paramref name="outWidth"/>, bilinearly; samples falling
    /// outside the image are clamped to its border.
    /// </summary>
    public static void Region(ReadOnlySpan<float> source, int channels, int height, int width,
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
