using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Datasets.ImageFolder.Tests;

/// <summary>
/// Writes PNG files for the decoder tests from raw sample values: any colour type and bit depth,
/// a chosen filter type per row (cycling through all five by default), optional Adam7 interlace.
/// The zlib stream comes from ZLibStream and each chunk's CRC from <see cref="Crc"/>; nothing here
/// shares code with the decoder under test (SkiaSharp).
/// </summary>
internal static class PngTestWriter
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly (int X, int Y, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>
    /// A PNG of <paramref name="samples"/> (row-major, <paramref name="samplesPerPixel"/> per pixel, each
    /// below 2^depth); <paramref name="filterOf"/> picks each row's filter from its index in the stream.
    /// </summary>
    public static byte[] Write(int width, int height, int depth, int colourType, int samplesPerPixel, int[] samples,
        bool interlace = false, Func<int, int>? filterOf = null, byte[]? palette = null)
    {
        filterOf ??= row => row % 5;
        using var raw = new MemoryStream();
        int rowIndex = 0;
        var passes = interlace ? Adam7 : [(0, 0, 1, 1)];
        foreach (var (px, py, dx, dy) in passes)
        {
            int pw = (width - px + dx - 1) / dx, ph = (height - py + dy - 1) / dy;
            if (pw <= 0 || ph <= 0)
            {
                continue;
            }
            int bitsPerPixel = depth * samplesPerPixel;
            int rowBytes = (pw * bitsPerPixel + 7) / 8;
            int bpp = Math.Max(1, bitsPerPixel / 8);
            var previous = new byte[rowBytes];
            for (int r = 0; r < ph; r++)
            {
                var row = new byte[rowBytes];
                int bit = 0;
                for (int i = 0; i < pw; i++)
                {
                    int pixel = (py + r * dy) * width + px + i * dx;
                    for (int s = 0; s < samplesPerPixel; s++)
                    {
                        int v = samples[pixel * samplesPerPixel + s];
                        if (depth == 16)
                        {
                            row[bit / 8] = (byte)(v >> 8);
                            row[bit / 8 + 1] = (byte)v;
                        }
                        else
                        {
                            row[bit / 8] |= (byte)(v << (8 - depth - bit % 8));
                        }
                        bit += depth;
                    }
                }
                int filter = filterOf(rowIndex++);
                raw.WriteByte((byte)filter);
                for (int i = 0; i < rowBytes; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
                    int predictor = filter switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => Paeth(a, b, c) };
                    raw.WriteByte((byte)(row[i] - predictor));
                }
                previous = row;
            }
        }
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = (byte)depth;
        header[9] = (byte)colourType;
        header[12] = (byte)(interlace ? 1 : 0);
        var chunks = new List<(string, byte[])> { ("IHDR", header) };
        if (palette is not null)
        {
            chunks.Add(("PLTE", palette));
        }
        chunks.Add(("IDAT", Zlib(raw.ToArray())));
        chunks.Add(("IEND", []));
        return Assemble(chunks);
    }

    public static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(data);
        }
        return output.ToArray();
    }

    /// <summary>Signature plus the chunks, each with its length and CRC.</summary>
    public static byte[] Assemble(IEnumerable<(string Type, byte[] Data)> chunks)
    {
        using var output = new MemoryStream();
        output.Write(Signature);
        foreach (var (type, data) in chunks)
        {
            var word = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
            output.Write(word);
            byte[] typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
            output.Write(typeBytes);
            output.Write(data);
            BinaryPrimitives.WriteUInt32BigEndian(word, Crc([.. typeBytes, .. data]));
            output.Write(word);
        }
        return output.ToArray();
    }

    /// <summary>CRC-32 of PNG chunks (ISO-HDLC: reflected polynomial 0xEDB88320), bit by bit.</summary>
    private static uint Crc(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
        }
        return ~c;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
