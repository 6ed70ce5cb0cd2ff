namespace Engine.Core;

/// <summary>
/// Resamples a C×H×W sample through an affine map with bilinear interpolation; pixels that map
/// outside the source are zero. The map takes an output pixel, as an offset (x, y) from the image
/// centre ((W−1)/2, (H−1)/2), to the source point centre + (a·x + b·y + tx, c·x + d·y + ty), i.e. it
/// is the inverse of the geometric change the caller wants (y points down).
/// </summary>
public static class AffineSampler
{
    // Source coordinates this close to a whole pixel are snapped to it, so that exact moves (whole-pixel
    // shifts, quarter turns) copy values exactly instead of blending in 1e-16 of a neighbour.
    private const double Snap = 1e-6;

    /// <summary>Fills <paramref name="destination"/> from <paramref name="source"/> through the inverse map (a, b, c, d, tx, ty).</summary>
    public static void Warp(ReadOnlySpan<float> source, Span<float> destination, Shape shape,
        double a, double b, double c, double d, double tx, double ty)
    {
        int channels = shape[0], height = shape[1], width = shape[2];
        int plane = height * width;
        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
        for (int y = 0; y < height; y++)
        {
            double oy = y - cy;
            for (int x = 0; x < width; x++)
            {
                double ox = x - cx;
                double sx = SnapToPixel(cx + a * ox + b * oy + tx);
                double sy = SnapToPixel(cy + c * ox + d * oy + ty);
                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                float fx = (float)(sx - x0), fy = (float)(sy - y0);
                for (int ch = 0; ch < channels; ch++)
                {
                    ReadOnlySpan<float> p = source.Slice(ch * plane, plane);
                    float value =
                        (1 - fx) * (1 - fy) * At(p, width, height, x0, y0) +
                        fx * (1 - fy) * At(p, width, height, x0 + 1, y0) +
                        (1 - fx) * fy * At(p, width, height, x0, y0 + 1) +
                        fx * fy * At(p, width, height, x0 + 1, y0 + 1);
                    destination[ch * plane + y * width + x] = value;
                }
            }
        }
    }

    private static float At(ReadOnlySpan<float> plane, int width, int height, int x, int y) =>
        (uint)x < (uint)width && (uint)y < (uint)height ? plane[y * width + x] : 0f;

    private static double SnapToPixel(double v)
    {
        double r = Math.Round(v);
        return Math.Abs(v - r) < Snap ? r : v;
    }

    /// <summary>Applies a warp in place through a pooled copy of the sample.</summary>
    internal static void WarpInPlace(Span<float> sample, Shape shape, double a, double b, double c, double d, double tx, double ty)
    {
        float[] copy = System.Buffers.ArrayPool<float>.Shared.Rent(sample.Length);
        try
        {
            sample.CopyTo(copy);
            Warp(copy.AsSpan(0, sample.Length), sample, shape, a, b, c, d, tx, ty);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(copy);
        }
    }
}
