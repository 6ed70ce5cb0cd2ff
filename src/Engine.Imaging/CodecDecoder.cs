using SkiaSharp;

namespace Engine.Imaging;

/// <summary>
/// The formats Skia decodes: JPEG, PNG, WebP, BMP and GIF. The codec reads the header first, so the
/// declared size is checked before pixels are allocated; samples come out as stored (no colour-space
/// conversion), grey sources as one channel, opaque colour as RGB, the rest as RGBA (unpremultiplied);
/// the encoded orientation (a JPEG's EXIF tag) is applied so the image is upright.
/// </summary>
internal static class CodecDecoder
{
    private static readonly SKEncodedImageFormat[] Supported =
        [SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Png, SKEncodedImageFormat.Webp, SKEncodedImageFormat.Bmp, SKEncodedImageFormat.Gif];

    public static DecodedImage Decode(ReadOnlySpan<byte> data, string name)
    {
        using SKData encoded = SKData.CreateCopy(data);
        // The codec takes ownership of the stream (Skia frees it with the codec, or at once on failure).
        using SKCodec? codec = SKCodec.Create(new SKMemoryStream(encoded), out SKCodecResult opened);
        string? signature = Signature(data);
        if (codec is null || !Supported.Contains(codec.EncodedFormat))
        {
            throw new DataFormatException(name, signature is null
                ? $"not an image in a supported format ({ImageDecoder.SupportedFormats}): it starts with bytes 0x{Convert.ToHexString(data[..Math.Min(8, data.Length)])}"
                : $"corrupt or truncated {signature} header: it cannot be read ({Describe(opened)}; the file has {data.Length} bytes)");
        }
        string format = FormatName(codec.EncodedFormat);
        SKImageInfo declared = codec.Info;
        ImageDecoder.CheckDeclaredSize(declared.Width, declared.Height, name, format);

        bool grey = declared.ColorType == SKColorType.Gray8;
        bool opaque = grey || declared.AlphaType == SKAlphaType.Opaque;
        // No colour space on the target: Skia then hands over the samples without converting them.
        var target = new SKImageInfo(declared.Width, declared.Height, grey ? SKColorType.Gray8 : SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        SKCodecResult result = codec.GetPixels(target, out byte[] pixels);
        if (result != SKCodecResult.Success)
        {
            throw new DataFormatException(name, result == SKCodecResult.IncompleteInput
                ? $"truncated: the {format} data ends before the {declared.Width}x{declared.Height} image is complete ({data.Length} bytes)"
                : $"corrupt {format} data: the {declared.Width}x{declared.Height} image cannot be decoded ({Describe(result)})");
        }
        var image = grey
            ? new DecodedImage(declared.Width, declared.Height, 1, pixels)
            : opaque ? new DecodedImage(declared.Width, declared.Height, 3, DropAlpha(pixels)) : new DecodedImage(declared.Width, declared.Height, 4, pixels);
        return ImageOrientation.Upright(image, codec.EncodedOrigin);
    }

    private static byte[] DropAlpha(byte[] rgba)
    {
        var rgb = new byte[rgba.Length / 4 * 3];
        for (int p = 0, q = 0; p < rgba.Length; p += 4, q += 3)
        {
            rgb[q] = rgba[p];
            rgb[q + 1] = rgba[p + 1];
            rgb[q + 2] = rgba[p + 2];
        }
        return rgb;
    }

    private static string FormatName(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => "JPEG",
        SKEncodedImageFormat.Png => "PNG",
        SKEncodedImageFormat.Webp => "WebP",
        SKEncodedImageFormat.Bmp => "BMP",
        SKEncodedImageFormat.Gif => "GIF",
        _ => format.ToString(),
    };

    // The format a file claims by its magic bytes, so a damaged header can be named for what it was meant to be.
    private static string? Signature(ReadOnlySpan<byte> data) => data switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "JPEG",
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "PNG",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "GIF",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "WebP",
        [(byte)'B', (byte)'M', ..] => "BMP",
        _ => null,
    };

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.ErrorInInput => "the decoder found invalid data",
        SKCodecResult.IncompleteInput => "the data ends early",
        SKCodecResult.InvalidInput => "invalid input",
        SKCodecResult.Unimplemented => "a feature this decoder does not implement",
        _ => $"decoder result {result}",
    };
}
