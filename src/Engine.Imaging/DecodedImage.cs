namespace Engine.Imaging;

/// <summary>
/// A decoded image: 8-bit samples, row-major, channels interleaved (1 grey, 2 grey+alpha, 3 RGB,
/// 4 RGBA). Deeper sources (16-bit PNG, PGM/PPM with a maxval other than 255) are rescaled to 0–255
/// with rounding, so every decoder hands the rest of the engine one representation.
/// </summary>
public sealed class DecodedImage
{
    /// <summary>Wraps <paramref name="pixels"/>: <paramref name="height"/> rows of <paramref name="width"/> pixels of <paramref name="channels"/> bytes.</summary>
    public DecodedImage(int width, int height, int channels, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != (long)width * height * channels)
        {
            throw new ArgumentException($"{pixels.Length} bytes do not make a {width}x{height} image of {channels} channel(s)", nameof(pixels));
        }
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Pixels per row.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Interleaved samples per pixel: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>Whether the last channel is alpha (2 or 4 channels).</summary>
    public bool HasAlpha => Channels is 2 or 4;

    /// <summary>Colour channels, alpha excluded: 1 (grey) or 3 (RGB).</summary>
    public int ColourChannels => HasAlpha ? Channels - 1 : Channels;

    /// <summary>The samples, row-major, channels interleaved.</summary>
    public byte[] Pixels { get; }

    /// <summary>Sample <paramref name="channel"/> of the pixel at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public byte this[int x, int y, int channel] => Pixels[(y * Width + x) * Channels + channel];
}
