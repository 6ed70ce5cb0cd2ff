using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Datasets.Idx.Tests;

/// <summary>Builds small IDX files, raw or gzip'd, so every error path can be produced on demand.</summary>
internal static class IdxTestFiles
{
    public const uint ImageMagic = 0x00000803;
    public const uint LabelMagic = 0x00000801;

    /// <summary>An IDX file: magic, big-endian dimensions, then <paramref name="data"/> as given
    /// (which may be shorter or longer than the dimensions promise, on purpose).</summary>
    public static byte[] Build(uint magic, int[] dims, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), (uint)dims[i]);
        }
        data.CopyTo(bytes.AsSpan(4 + 4 * dims.Length));
        return bytes;
    }

    public static byte[] Images(int count, int rows, int cols, byte[] pixels) => Build(ImageMagic, [count, rows, cols], pixels);

    public static byte[] Labels(byte[] labels) => Build(LabelMagic, [labels.Length], labels);

    /// <summary>Deterministic pseudo-random bytes, so a failure reproduces.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return buffer.ToArray();
    }
}
