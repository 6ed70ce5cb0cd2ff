namespace Engine.Features.Classical;

/// <summary>Colour to grey with the luma weights the engine's image loader uses (ITU-R BT.601).</summary>
public static class Grey
{
    /// <summary>Red, green and blue weights.</summary>
    public const float R = 0.299f, G = 0.587f, B = 0.114f;

    /// <summary>
    /// The grey plane of a planar sample of <paramref name="channels"/> (1: copied; 3: luma) planes of
    /// <paramref name="planeSize"/> values each.
    /// </summary>
    public static float[] FromPlanar(ReadOnlySpan<float> sample, int channels, int planeSize)
    {
        var grey = new float[planeSize];
        if (channels == 1)
        {
            sample[..planeSize].CopyTo(grey);
            return grey;
        }
        if (channels != 3)
        {
            throw new ShapeException($"grey conversion takes 1 or 3 channels, got {channels}");
        }
        for (int i = 0; i < planeSize; i++)
        {
            grey[i] = (R * sample[i]) + (G * sample[planeSize + i]) + (B * sample[(2 * planeSize) + i]);
        }
        return grey;
    }
}
