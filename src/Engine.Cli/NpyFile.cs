using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Engine.Cli;

/// <summary>
/// NumPy's .npy format for float32 arrays, the interchange format of <c>engine infer</c>: reads only
/// little-endian float32 in C order (<c>'&lt;f4'</c>, <c>fortran_order: False</c>), each other kind refused
/// naming the file and what it holds; writes version 1.0 with a 64-byte aligned header.
/// </summary>
internal static partial class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the array at <paramref name="path"/>: its shape and values.</summary>
    public static (int[] Shape, float[] Values) Read(string path)
    {
        using FileStream stream = File.OpenRead(path);
        Span<byte> start = stackalloc byte[12];
        if (stream.ReadAtLeast(start, 10, throwOnEndOfStream: false) < 10 || !start[..6].SequenceEqual(Magic))
        {
            throw new DataFormatException(path, "not a NumPy .npy file (no \\x93NUMPY magic)");
        }
        byte major = start[6];
        int headerLength, headerStart;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(start[8..]);
                headerStart = 10;
                break;
            case 2 or 3:
                headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(start[8..]));
                headerStart = 12;
                break;
            default:
                throw new DataFormatException(path, $".npy version {major} is not supported (1, 2 or 3)");
        }
        if (headerLength > 1 << 20)
        {
            throw new DataFormatException(path, $"header of {headerLength} bytes is too long");
        }
        stream.Position = headerStart;
        byte[] headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        string header = Encoding.Latin1.GetString(headerBytes);
        string descr = Field(DescrPattern(), header, path, "descr");
        if (descr != "<f4")
        {
            throw new DataFormatException(path, $"dtype '{descr}' is not supported; engine infer reads little-endian float32 ('<f4') only (numpy: x.astype('<f4'))");
        }
        if (Field(FortranPattern(), header, path, "fortran_order") != "False")
        {
            throw new DataFormatException(path, "the array is in Fortran order; engine infer reads C order only (numpy: np.ascontiguousarray(x))");
        }
        int[] shape = Field(ShapePattern(), header, path, "shape").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new DataFormatException(path, $"shape entry '{d}' is not a dimension")).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        long data = stream.Length - stream.Position;
        if (data != count * sizeof(float))
        {
            throw new DataFormatException(path, $"shape ({string.Join(", ", shape)}) needs {count * sizeof(float)} bytes of data but the file has {data}");
        }
        byte[] raw = new byte[data];
        stream.ReadExactly(raw);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i));
        }
        return (shape, values);
    }

    /// <summary>Writes <paramref name="values"/> of <paramref name="shape"/> as a version 1.0 .npy file.</summary>
    public static void Write(string path, int[] shape, ReadOnlySpan<float> values)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        using FileStream stream = File.Create(path);
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        byte[] raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), values[i]);
        }
        stream.Write(raw);
    }

    private static string Field(Regex pattern, string header, string path, string name) =>
        pattern.Match(header) is { Success: true } m ? m.Groups[1].Value : throw new DataFormatException(path, $"the header has no readable '{name}': {header.Trim()}");

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
