using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Imaging;

/// <summary>
/// Decodes PNG (ISO/IEC 15948): every colour type (grey, RGB, palette, grey+alpha, RGBA), bit depths
/// 1, 2, 4, 8 and 16, the five scanline filters and Adam7 interlacing. Every chunk's CRC is checked.
/// Palette images come out as RGB; transparency (tRNS), gamma and other ancillary chunks are ignored.
/// 16-bit and sub-byte samples are rescaled to 0–255 (see <see cref="DecodedImage"/>).
/// </summary>
public static class PngDecoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    // A cap on decoded pixels: a corrupt or hostile header must not make us allocate gigabytes.
    private const long MaxPixels = 1L << 28;

    // Adam7 passes: first column, first row, column step, row step.
    private static readonly (int X, int Y, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>Whether <paramref name="data"/> starts with the 8-byte PNG signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <summary>Decodes a whole PNG file held in memory; <paramref name="name"/> is what error messages call it.</summary>
    /// <exception cref="DataFormatException">The data is not a valid PNG; the message says which chunk or row and why.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, string name)
    {
        if (!HasSignature(data))
        {
            throw Error(name, "not a PNG file: the 8-byte PNG signature is missing");
        }
        Header? header = null;
        byte[]? palette = null;
        using var compressed = new MemoryStream();
        bool sawIdat = false;
        bool ended = false;
        int offset = Signature.Length;
        while (!ended)
        {
            // Length and type take 8 bytes; with those the truncation message can name the chunk.
            if (data.Length - offset < 8)
            {
                throw Error(name, offset == data.Length
                    ? $"truncated: the file ends after {data.Length} bytes without an IEND chunk"
                    : $"truncated: {data.Length - offset} bytes at offset {offset} are too few for a chunk (12 bytes at least)");
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            ReadOnlySpan<byte> typeBytes = data.Slice(offset + 4, 4);
            string type = ChunkType(typeBytes);
            if (length > int.MaxValue || length > data.Length - offset - 12)
            {
                throw Error(name, $"truncated: chunk '{type}' at offset {offset} declares {length} data bytes but only {Math.Max(0, data.Length - offset - 12)} remain");
            }
            ReadOnlySpan<byte> body = data.Slice(offset + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 8 + (int)length)..]);
            uint computed = Crc32.Append(Crc32.Compute(typeBytes), body);
            if (stored != computed)
            {
                throw Error(name, $"CRC mismatch in chunk '{type}' at offset {offset}: stored 0x{stored:X8}, computed 0x{computed:X8} (the file is corrupt)");
            }
            if (header is null && type != "IHDR")
            {
                throw Error(name, $"missing IHDR: the first chunk is '{type}', but a PNG must start with IHDR");
            }
            switch (type)
            {
                case "IHDR":
                    if (header is not null)
                    {
                        throw Error(name, $"a second IHDR chunk at offset {offset}");
                    }
                    header = ReadHeader(name, body);
                    break;
                case "PLTE":
                    if (body.Length == 0 || body.Length % 3 != 0 || body.Length / 3 > 256)
                    {
                        throw Error(name, $"bad PLTE chunk: {body.Length} bytes is not 1 to 256 RGB entries of 3 bytes");
                    }
                    palette = body.ToArray();
                    break;
                case "IDAT":
                    compressed.Write(body);
                    sawIdat = true;
                    break;
                case "IEND":
                    ended = true;
                    break;
                default:
                    // Bit 5 of the first letter clear (upper case) marks a chunk needed to show the image.
                    if ((typeBytes[0] & 0x20) == 0)
                    {
                        throw Error(name, $"unsupported critical chunk '{type}' at offset {offset}");
                    }
                    break;
            }
            offset += 12 + (int)length;
        }
        Header h = header!;
        if (!sawIdat)
        {
            throw Error(name, "missing IDAT: the file has no image data chunk");
        }
        if (h.ColourType == 3 && palette is null)
        {
            throw Error(name, "missing PLTE: a palette image (colour type 3) needs a palette chunk");
        }
        byte[] raw = Inflate(name, compressed, RawSize(h));
        return Reconstruct(name, h, raw, palette);
    }

    private sealed record Header(int Width, int Height, int BitDepth, int ColourType, bool Interlaced)
    {
        // Samples per pixel in the file (a palette index is one sample).
        public int Samples => ColourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };

        public int OutputChannels => ColourType == 3 ? 3 : Samples;

        public int BitsPerPixel => Samples * BitDepth;

        // Filters work on whole bytes: the distance to the "left" byte is at least one.
        public int FilterStride => Math.Max(1, BitsPerPixel / 8);

        public int RowBytes(int width) => (int)(((long)width * BitsPerPixel + 7) / 8);
    }

    private static Header ReadHeader(string name, ReadOnlySpan<byte> body)
    {
        if (body.Length != 13)
        {
            throw Error(name, $"bad IHDR chunk: {body.Length} bytes instead of 13");
        }
        uint width = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8], colour = body[9];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw Error(name, $"bad IHDR: image size {width}x{height}; both must be between 1 and {int.MaxValue}");
        }
        if ((long)width * height > MaxPixels)
        {
            throw Error(name, $"image too large: {width}x{height} is more than {MaxPixels} pixels");
        }
        bool valid = colour switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!valid)
        {
            throw Error(name, $"bad IHDR: colour type {colour} with bit depth {depth} is not a valid PNG combination");
        }
        if (body[10] != 0 || body[11] != 0)
        {
            throw Error(name, $"bad IHDR: compression method {body[10]} / filter method {body[11]}; only 0 / 0 exist");
        }
        if (body[12] > 1)
        {
            throw Error(name, $"bad IHDR: interlace method {body[12]}; only 0 (none) and 1 (Adam7) exist");
        }
        return new Header((int)width, (int)height, depth, colour, body[12] == 1);
    }

    private static IEnumerable<(int X, int Y, int Dx, int Dy, int Width, int Height)> Passes(Header h)
    {
        if (!h.Interlaced)
        {
            yield return (0, 0, 1, 1, h.Width, h.Height);
            yield break;
        }
        foreach (var (x, y, dx, dy) in Adam7)
        {
            int w = (h.Width - x + dx - 1) / dx, rows = (h.Height - y + dy - 1) / dy;
            if (w > 0 && rows > 0)
            {
                yield return (x, y, dx, dy, w, rows);
            }
        }
    }

    // Every row of every pass is one filter-type byte followed by its packed samples.
    private static long RawSize(Header h) => Passes(h).Sum(p => (long)p.Height * (1 + h.RowBytes(p.Width)));

    private static byte[] Inflate(string name, MemoryStream compressed, long size)
    {
        if (size > Array.MaxLength)
        {
            throw Error(name, $"image too large: {size} bytes of scanlines");
        }
        var raw = new byte[size];
        compressed.Position = 0;
        int got;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
            got = zlib.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException ex)
        {
            // .NET calls any damaged deflate stream "compressed using an unsupported compression method".
            throw Error(name, "corrupt zlib data in IDAT: the compressed image data is damaged", ex);
        }
        if (got < raw.Length)
        {
            throw Error(name, $"truncated image data: the IDAT stream inflates to {got} bytes but {raw.Length} are needed for the scanlines");
        }
        return raw;
    }

    private static DecodedImage Reconstruct(string name, Header h, byte[] raw, byte[]? palette)
    {
        int channels = h.OutputChannels;
        var pixels = new byte[(long)h.Width * h.Height * channels];
        int offset = 0;
        int passIndex = 0;
        foreach (var pass in Passes(h))
        {
            int rowBytes = h.RowBytes(pass.Width);
            var previous = new byte[rowBytes];
            var current = new byte[rowBytes];
            var samples = new byte[pass.Width * channels];
            for (int r = 0; r < pass.Height; r++)
            {
                byte filter = raw[offset];
                raw.AsSpan(offset + 1, rowBytes).CopyTo(current);
                offset += 1 + rowBytes;
                if (filter > 4)
                {
                    string where = h.Interlaced ? $"row {r} of interlace pass {passIndex + 1}" : $"row {r}";
                    throw Error(name, $"bad filter type {filter} on {where}; PNG defines 0 to 4");
                }
                Unfilter(filter, current, previous, h.FilterStride);
                ExpandRow(name, h, current, pass.Width, palette, samples);
                int y = pass.Y + r * pass.Dy;
                for (int i = 0; i < pass.Width; i++)
                {
                    int x = pass.X + i * pass.Dx;
                    samples.AsSpan(i * channels, channels).CopyTo(pixels.AsSpan((y * h.Width + x) * channels));
                }
                (previous, current) = (current, previous);
            }
            passIndex++;
        }
        return new DecodedImage(h.Width, h.Height, channels, pixels);
    }

    // Undoes one scanline's filter in place. a = byte to the left, b = above, c = above-left.
    private static void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> above, int stride)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= stride ? row[i - stride] : 0;
            int b = above[i];
            int c = i >= stride ? above[i - stride] : 0;
            int predictor = filter switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                _ => Paeth(a, b, c),
            };
            row[i] = (byte)(row[i] + predictor);
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    // Unpacks one unfiltered row into 8-bit samples per output channel.
    private static void ExpandRow(string name, Header h, ReadOnlySpan<byte> row, int width, byte[]? palette, Span<byte> output)
    {
        int count = width * h.Samples;
        if (h.ColourType == 3)
        {
            int entries = palette!.Length / 3;
            for (int i = 0; i < width; i++)
            {
                int index = SubByteSample(row, i, h.BitDepth);
                if (index >= entries)
                {
                    throw Error(name, $"palette index {index} is out of range: the PLTE chunk has {entries} entries");
                }
                palette.AsSpan(index * 3, 3).CopyTo(output[(i * 3)..]);
            }
        }
        else if (h.BitDepth == 16)
        {
            for (int i = 0; i < count; i++)
            {
                int v = row[2 * i] << 8 | row[2 * i + 1];
                output[i] = (byte)((v * 255 + 32767) / 65535);
            }
        }
        else if (h.BitDepth == 8)
        {
            row[..count].CopyTo(output);
        }
        else
        {
            // Sub-byte greyscale: scale the largest value (2^depth - 1) to 255.
            int max = (1 << h.BitDepth) - 1;
            for (int i = 0; i < count; i++)
            {
                output[i] = (byte)(SubByteSample(row, i, h.BitDepth) * 255 / max);
            }
        }
    }

    // Sample i of a row packed at 1, 2, 4 or 8 bits, most significant bits first.
    private static int SubByteSample(ReadOnlySpan<byte> row, int i, int depth)
    {
        if (depth == 8)
        {
            return row[i];
        }
        int bit = i * depth;
        int shift = 8 - depth - (bit & 7);
        return (row[bit >> 3] >> shift) & ((1 << depth) - 1);
    }

    // Chunk types are four ASCII letters; anything else is shown as hex so the message stays printable.
    private static string ChunkType(ReadOnlySpan<byte> type)
    {
        foreach (byte b in type)
        {
            if (b is not (>= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z'))
            {
                return "0x" + Convert.ToHexString(type);
            }
        }
        return System.Text.Encoding.ASCII.GetString(type);
    }

    private static DataFormatException Error(string name, string problem, Exception? inner = null) => new(name, problem, inner);
}
