using System.Runtime.InteropServices;
using SkiaSharp;

namespace Engine.Imaging;

/// <summary>The file formats <see cref="ImageEncoder"/> writes.</summary>
public enum ImageFileFormat
{
    /// <summary>PNG: lossless; grey images stay one channel.</summary>
    Png,

    /// <summary>JPEG at a quality (1–100), colour sampled 4:4:4; grey images are written as grey JPEGs; alpha is dropped.</summary>
    Jpeg,

    /// <summary>WebP, lossy, at a quality (1–100).</summary>
    Webp,

    /// <summary>WebP, lossless.</summary>
    WebpLossless,
}

/// <summary>Writes a <see cref="DecodedImage"/> as an image file through SkiaSharp.</summary>
public static class ImageEncoder
{
    /// <summary>
    /// Encodes <paramref name="image"/> as <paramref name="format"/>; <paramref name="quality"/> (1–100)
    /// matters for the lossy formats only.
    /// </summary>
    public static byte[] Encode(DecodedImage image, ImageFileFormat format = ImageFileFormat.Png, int quality = 95)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        bool grey = image.Channels == 1;
        var info = new SKImageInfo(image.Width, image.Height, grey ? SKColorType.Gray8 : SKColorType.Rgba8888,
            image.HasAlpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        byte[] samples = grey ? image.Pixels : ToRgba(image);
        Marshal.Copy(samples, 0, bitmap.GetPixels(), samples.Length);
        using SKPixmap pixmap = bitmap.PeekPixels();
        using SKData? data = format switch
        {
            ImageFileFormat.Png => pixmap.Encode(SKPngEncoderOptions.Default),
            ImageFileFormat.Jpeg => pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample444, SKJpegEncoderAlphaOption.Ignore)),
            ImageFileFormat.Webp => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, quality)),
            ImageFileFormat.WebpLossless => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100)),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown image file format"),
        };
        return data?.ToArray() ?? throw new InvalidOperationException($"Skia could not encode a {image.Width}x{image.Height} image of {image.Channels} channel(s) as {format}");
    }

    // Skia holds colour as four bytes per pixel: grey is repeated into R, G and B, a missing alpha is opaque.
    private static byte[] ToRgba(DecodedImage image)
    {
        var rgba = new byte[image.Width * image.Height * 4];
        byte[] source = image.Pixels;
        int c = image.Channels;
        for (int p = 0, s = 0; p < rgba.Length; p += 4, s += c)
        {
            bool colour = c >= 3;
            rgba[p] = source[s];
            rgba[p + 1] = source[colour ? s + 1 : s];
            rgba[p + 2] = source[colour ? s + 2 : s];
            rgba[p + 3] = image.HasAlpha ? source[s + c - 1] : (byte)255;
        }
        return rgba;
    }
}
