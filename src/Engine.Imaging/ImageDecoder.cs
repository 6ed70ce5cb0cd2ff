using System.Globalization;

namespace Engine.Imaging;

/// <summary>
/// Decodes image files, choosing the format from the file's first bytes rather than its extension
/// (a renamed file still reads, and a mislabelled one is reported for what it is): JPEG, PNG, WebP,
/// BMP and GIF (its first frame) through SkiaSharp (<see cref="CodecDecoder"/>), and the Netpbm
/// formats PGM/PPM (P2, P3, P5, P6), which Skia does not read, through <see cref="NetpbmDecoder"/>.
/// </summary>
public static class ImageDecoder
{
    /// <summary>
    /// The most pixels an image may declare: 8192×8192. The size is read from the header and checked
    /// before any pixel memory is allocated, so a small file claiming an enormous image is refused
    /// with one line instead of exhausting memory.
    /// </summary>
    public const long MaxPixels = 8192L * 8192;

    /// <summary>The formats read, for messages.</summary>
    public const string SupportedFormats = "JPEG, PNG, WebP, BMP, GIF, PGM/PPM P2/P3/P5/P6";

    /// <summary>Reads and decodes the image at <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">The file is missing, unreadable, empty, of an unknown format, too large, truncated or corrupt; the message names the file and the problem.</exception>
    public static DecodedImage Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] data;
        try
        {
            data = ReadLimited(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFormatException(path, "image file does not exist", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"image file cannot be read: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        return Decode(data, path);
    }

    /// <summary>Decodes an image held in memory; <paramref name="name"/> is what error messages call it.</summary>
    /// <exception cref="DataFormatException">Empty, unknown format, too large, truncated or corrupt data.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (data.Length == 0)
        {
            throw new DataFormatException(name, "not an image: the file is empty");
        }
        return NetpbmDecoder.HasSignature(data) ? NetpbmDecoder.Decode(data, name) : CodecDecoder.Decode(data, name);
    }

    /// <summary>Throws unless a <paramref name="width"/>×<paramref name="height"/> image is within <see cref="MaxPixels"/>.</summary>
    internal static void CheckDeclaredSize(long width, long height, string name, string format)
    {
        if (width < 1 || height < 1)
        {
            throw new DataFormatException(name, $"bad {format} header: image size {width}x{height} (each must be at least 1)");
        }
        if (width * height > MaxPixels)
        {
            throw new DataFormatException(name, string.Create(CultureInfo.InvariantCulture,
                $"{format} image declares {width}x{height} pixels ({width * height:N0}), more than the {MaxPixels:N0} allowed (8192x8192); refused before decoding"));
        }
    }

    /// <summary>The largest image file read: 256 MiB (a 8192×8192 RGBA image uncompressed).</summary>
    private const int MaxBytes = 256 << 20;

    // Reads at most MaxBytes + 1 bytes: a device (/dev/zero), a pipe or a huge file is refused with one
    // line instead of being read until the process runs out of memory.
    private static byte[] ReadLimited(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length > MaxBytes)
        {
            throw new DataFormatException(path, string.Create(CultureInfo.InvariantCulture, $"image file is {info.Length:N0} bytes, more than the {MaxBytes:N0} bytes allowed (is it the right file?)"));
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var buffer = new byte[Math.Min(info.Exists ? info.Length : 0, MaxBytes) + 1];
        int total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += read;
        }
        // A regular file cannot yield more than its length: more means a device, a pipe or a /proc file.
        if (total > info.Length)
        {
            throw new DataFormatException(path, "image file is not a regular file (a device or a pipe?): refused");
        }
        return buffer[..total];
    }
}
