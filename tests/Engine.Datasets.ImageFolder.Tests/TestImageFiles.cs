using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Datasets.ImageFolder.Tests;

/// <summary>
/// Image files the tests write byte by byte where SkiaSharp has no encoder (BMP, GIF) or where the
/// test needs a field it does not write (an EXIF orientation), and real digits to put in them.
/// </summary>
internal static class TestImageFiles
{
    /// <summary>The first <paramref name="count"/> test digits of the bundled MNIST, 28×28 grey bytes each.</summary>
    public static byte[][] MnistDigits(int count)
    {
        using var file = File.OpenRead(Path.Combine(RepoPaths.Mnist, "t10k-images-idx3-ubyte.gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        var header = new byte[16];
        gzip.ReadExactly(header);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var digit = new byte[28 * 28];
            gzip.ReadExactly(digit);
            return digit;
        })];
    }

    /// <summary>A 24-bit BMP (BITMAPINFOHEADER, rows bottom-up, BGR, each row padded to 4 bytes) of grey pixels.</summary>
    public static byte[] GreyBmp(int width, int height, byte[] grey)
    {
        int stride = (width * 3 + 3) / 4 * 4;
        var bytes = new byte[54 + stride * height];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54); // pixel data offset
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40); // info header size
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), stride * height);
        for (int y = 0; y < height; y++)
        {
            int row = 54 + (height - 1 - y) * stride;
            for (int x = 0; x < width; x++)
            {
                bytes[row + 3 * x] = bytes[row + 3 * x + 1] = bytes[row + 3 * x + 2] = grey[y * width + x];
            }
        }
        return bytes;
    }

    /// <summary>
    /// A GIF89a of grey pixels with a 256-entry grey palette. The LZW data uses literal codes only, with
    /// a clear code every 200 of them so the code width stays 9 bits: valid LZW, just not compressed.
    /// </summary>
    public static byte[] GreyGif(int width, int height, byte[] grey)
    {
        var output = new MemoryStream();
        output.Write("GIF89a"u8);
        Span<byte> word = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)width);
        output.Write(word);
        BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)height);
        output.Write(word);
        output.Write([0xF7, 0, 0]); // global colour table of 2^(7+1) entries, background 0, no aspect
        for (int i = 0; i < 256; i++)
        {
            output.Write([(byte)i, (byte)i, (byte)i]);
        }
        output.WriteByte(0x2C); // image descriptor at (0, 0), full size, no local table
        output.Write([0, 0, 0, 0]);
        BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)width);
        output.Write(word);
        BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)height);
        output.Write(word);
        output.WriteByte(0);
        output.WriteByte(8); // LZW minimum code size

        const int clear = 256, end = 257;
        var codes = new List<int>();
        for (int i = 0; i < grey.Length; i++)
        {
            if (i % 200 == 0)
            {
                codes.Add(clear);
            }
            codes.Add(grey[i]);
        }
        codes.Add(end);
        var packed = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (int code in codes)
        {
            buffer |= code << bits;
            bits += 9;
            while (bits >= 8)
            {
                packed.Add((byte)buffer);
                buffer >>= 8;
                bits -= 8;
            }
        }
        if (bits > 0)
        {
            packed.Add((byte)buffer);
        }
        foreach (byte[] block in packed.Chunk(255))
        {
            output.WriteByte((byte)block.Length);
            output.Write(block);
        }
        output.WriteByte(0); // end of image data
        output.WriteByte(0x3B); // trailer
        return output.ToArray();
    }

    /// <summary>
    /// <paramref name="jpeg"/> with an APP1 EXIF segment right after its start marker holding one tag,
    /// Orientation (0x0112) = <paramref name="orientation"/>, in a big-endian TIFF structure.
    /// </summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // header: big-endian, first IFD at offset 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, // Orientation, SHORT, count 1, value
            0, 0, 0, 0, // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        int length = payload.Length + 2;
        return [.. jpeg[..2], 0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload, .. jpeg[2..]];
    }
}
