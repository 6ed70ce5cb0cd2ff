namespace Engine.Imaging;

/// <summary>
/// Decodes the Netpbm grey and colour formats: PGM (P2 plain text, P5 binary) and PPM (P3 plain
/// text, P6 binary), with any maxval from 1 to 65535 (binary samples of two bytes, big-endian, when it
/// exceeds 255). Samples are rescaled to 0–255 as round(v·255/maxval). Written by hand because
/// SkiaSharp, which reads the other formats, has no Netpbm codec.
/// </summary>
public static class NetpbmDecoder
{
    /// <summary>Whether <paramref name="data"/> starts with P2, P3, P5 or P6 followed by whitespace.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> data) =>
        data.Length >= 3 && data[0] == 'P' && data[1] is (byte)'2' or (byte)'3' or (byte)'5' or (byte)'6' && IsSpace(data[2]);

    /// <summary>Decodes a whole PGM/PPM file held in memory; <paramref name="name"/> is what error messages call it.</summary>
    /// <exception cref="DataFormatException">The data is malformed; the message says what and where.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, string name)
    {
        if (!HasSignature(data))
        {
            throw new DataFormatException(name, "not a PGM/PPM file: it does not start with P2, P3, P5 or P6");
        }
        char kind = (char)data[1];
        int channels = kind is '3' or '6' ? 3 : 1;
        bool plain = kind is '2' or '3';
        int position = 2;
        int width = ReadHeaderNumber(data, ref position, name, "width");
        int height = ReadHeaderNumber(data, ref position, name, "height");
        int maxval = ReadHeaderNumber(data, ref position, name, "maxval");
        ImageDecoder.CheckDeclaredSize(width, height, name, $"P{kind}");
        if (maxval is < 1 or > 65535)
        {
            throw new DataFormatException(name, $"bad P{kind} header: maxval {maxval} is outside 1 to 65535");
        }
        int count = width * height * channels;
        var pixels = new byte[count];
        if (plain)
        {
            for (int i = 0; i < count; i++)
            {
                int v = ReadNumber(data, ref position, name, $"sample {i} of {count}");
                pixels[i] = Scale(v, maxval, i, name);
            }
            return new DecodedImage(width, height, channels, pixels);
        }
        // Exactly one whitespace byte separates the header from binary data.
        position++;
        int bytesPerSample = maxval > 255 ? 2 : 1;
        long needed = (long)count * bytesPerSample;
        long available = Math.Max(0, data.Length - position);
        if (available < needed)
        {
            throw new DataFormatException(name, $"truncated: a {width}x{height} P{kind} image with maxval {maxval} needs {needed} bytes of samples but the file holds {available}");
        }
        for (int i = 0; i < count; i++)
        {
            int v = bytesPerSample == 1 ? data[position + i] : data[position + 2 * i] << 8 | data[position + 2 * i + 1];
            pixels[i] = Scale(v, maxval, i, name);
        }
        return new DecodedImage(width, height, channels, pixels);
    }

    private static byte Scale(int v, int maxval, int index, string name)
    {
        if (v > maxval)
        {
            throw new DataFormatException(name, $"sample {index} is {v}, above the maxval {maxval}");
        }
        return maxval == 255 ? (byte)v : (byte)(((long)v * 255 + maxval / 2) / maxval);
    }

    // Header fields may be separated by whitespace and '#' comments running to the end of the line.
    private static int ReadHeaderNumber(ReadOnlySpan<byte> data, ref int position, string name, string field) =>
        ReadNumber(data, ref position, name, $"the header's {field}");

    private static int ReadNumber(ReadOnlySpan<byte> data, ref int position, string name, string what)
    {
        while (position < data.Length)
        {
            if (IsSpace(data[position]))
            {
                position++;
            }
            else if (data[position] == '#')
            {
                while (position < data.Length && data[position] is not ((byte)'\n' or (byte)'\r'))
                {
                    position++;
                }
            }
            else
            {
                break;
            }
        }
        if (position >= data.Length)
        {
            throw new DataFormatException(name, $"truncated: the file ends before {what}");
        }
        long value = 0;
        int start = position;
        while (position < data.Length && data[position] is >= (byte)'0' and <= (byte)'9')
        {
            value = Math.Min(value * 10 + (data[position] - '0'), int.MaxValue);
            position++;
        }
        if (position == start || (position < data.Length && !IsSpace(data[position]) && data[position] != '#'))
        {
            int end = position;
            while (end < data.Length && end - start < 16 && !IsSpace(data[end]))
            {
                end++;
            }
            string token = System.Text.Encoding.ASCII.GetString(data[start..Math.Max(end, start + 1)]);
            throw new DataFormatException(name, $"expected a decimal number for {what} at byte {start}, found '{token}'");
        }
        return (int)value;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
}
