namespace Engine.Imaging;

/// <summary>
/// Turns decoded images into the engine's sample layout (floats C×H×W in [0, 1]); resizing those
/// samples is the SDK's <see cref="BilinearResize"/>.
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
}
