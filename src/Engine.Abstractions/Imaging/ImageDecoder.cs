namespace Engine.Imaging;

/// <summary>
/// Decodes image files, choosing the format from the file's first bytes rather than its extension
/// (a renamed file still reads, and a mislabelled one is reported for what it is): PNG and the
/// Netpbm formats PGM/PPM (P2, P3, P5, P6).
/// </summary>
public static class ImageDecoder
{
    /// <summary>Reads and decodes the image at <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">The file is missing, unreadable, of an unknown format or corrupt; the message names the file and the problem.</exception>
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

    /// <summary>The largest image file read: 256 MiB (a 8192×8192 RGBA image uncompressed).</summary>
    private const int MaxBytes = 256 << 20;

    // Reads at most MaxBytes + 1 bytes: a device (/dev/zero), a pipe or a huge file is refused with one
    // line instead of being read until the process runs out of memory.
    private static byte[] ReadLimited(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length > MaxBytes)
        {
            throw new DataFormatException(path, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"image file is {info.Length:N0} bytes, more than the {MaxBytes:N0} bytes allowed (is it the right file?)"));
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

    /// <summary>Decodes an image held in memory; <paramref name="name"/> is what error messages call it.</summary>
    /// <exception cref="DataFormatException">Unknown format or corrupt data.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (PngDecoder.HasSignature(data))
        {
            return PngDecoder.Decode(data, name);
        }
        if (NetpbmDecoder.HasSignature(data))
        {
            return NetpbmDecoder.Decode(data, name);
        }
        string start = Convert.ToHexString(data[..Math.Min(8, data.Length)]);
        throw new DataFormatException(name, data.Length == 0
            ? "not an image: the file is empty"
            : $"not an image in a supported format (PNG, PGM/PPM P2/P3/P5/P6): it starts with bytes 0x{start}");
    }
}
