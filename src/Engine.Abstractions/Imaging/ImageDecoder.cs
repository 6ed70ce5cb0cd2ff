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
            data = File.ReadAllBytes(path);
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
