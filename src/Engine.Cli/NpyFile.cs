using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Engine.Cli;

/// <summary>
/// NumPy's <c>.npy</c> format for little-endian float32 arrays in C order (what
/// <c>numpy.save</c> writes for <c>np.float32</c>): read (versions 1–3) and write (version 1).
/// Anything else (another dtype, Fortran order, a truncated file) is refused naming the file.
/// </summary>
internal static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a float32 array: its shape and values.</summary>
    public static (int[] Shape, float[] Values) ReadFloat32(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new DataFormatException(path, "is not a .npy file (no \\x93NUMPY magic)");
        }
        int major = bytes[6];
        int headerLength, offset;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            offset = 10;
        }
        else if (major is 2 or 3 && bytes.Length >= 12)
        {
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
            offset = 12;
        }
        else
        {
            throw new DataFormatException(path, $".npy version {major} is not supported (1, 2 or 3)");
        }
        if (offset + headerLength > bytes.Length)
        {
            throw new DataFormatException(path, "is truncated inside its header");
        }
        string header = Encoding.Latin1.GetString(bytes, offset, headerLength);
        string descr = Field(DescrPattern(), header, path, "descr");
        if (descr is not ("<f4" or "=f4" or "f4"))
        {
            throw new DataFormatException(path, $"holds dtype '{descr}', not float32 ('<f4'); convert it with array.astype(numpy.float32)");
        }
        if (Field(FortranPattern(), header, path, "fortran_order") != "False")
        {
            throw new DataFormatException(path, "is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)");
        }
        string shapeText = Field(ShapePattern(), header, path, "shape");
        int[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => int.Parse(d, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
        long count = shape.Aggregate(1L, (a, d) => a * d);
        int data = offset + headerLength;
        if (bytes.Length - data != count * 4)
        {
            throw new DataFormatException(path, $"shape ({shapeText}) needs {count * 4} bytes of data but the file has {bytes.Length - data}");
        }
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + (4 * i)));
        }
        return (shape, values);
    }

    /// <summary>Writes a float32 array of <paramref name="shape"/> as .npy version 1.</summary>
    public static void WriteFloat32(string path, int[] shape, ReadOnlySpan<float> values)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        // The header, with its newline, pads the preamble to a multiple of 64 bytes.
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (total % 64)) % 64)) + "\n";
        using var stream = new MemoryStream();
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        Span<byte> value = stackalloc byte[4];
        foreach (float v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(value, v);
            stream.Write(value);
        }
        File.WriteAllBytes(path, stream.ToArray());
    }

    private static string Field(Regex pattern, string header, string path, string name)
    {
        Match m = pattern.Match(header);
        return m.Success ? m.Groups[1].Value : throw new DataFormatException(path, $"has no '{name}' in its header: {header.Trim()}");
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
