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
        byte[] bytes = ReadBounded(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new DataFormatException(path, "is not a .npy file (no \\x93NUMPY magic)");
        }
        int major = bytes[6];
        long headerLength;
        int offset;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            offset = 10;
        }
        else if (major is 2 or 3 && bytes.Length >= 12)
        {
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
            offset = 12;
        }
        else
        {
            throw new DataFormatException(path, $".npy version {major} is not supported (1, 2 or 3)");
        }
        // In long: a version 2 header length near 4 GiB would overflow an int sum and pass the check.
        if (offset + headerLength > bytes.Length)
        {
            throw new DataFormatException(path, string.Create(CultureInfo.InvariantCulture, $"is truncated inside its header ({headerLength:N0} bytes declared, {bytes.Length - offset:N0} present)"));
        }
        string header = Encoding.Latin1.GetString(bytes, offset, (int)headerLength);
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
        int[] shape = ParseShape(shapeText, path);
        long count = 1;
        foreach (int d in shape)
        {
            // Bounded by the data present, so a product of hostile dimensions cannot wrap around to a plausible size.
            count = d == 0 ? 0 : count > bytes.Length / d ? long.MaxValue : count * d;
        }
        int data = offset + (int)headerLength;
        if (count == long.MaxValue || bytes.Length - data != count * 4)
        {
            string needed = count == long.MaxValue ? "more bytes than any file this reader takes" : string.Create(CultureInfo.InvariantCulture, $"{count * 4:N0} bytes");
            throw new DataFormatException(path, string.Create(CultureInfo.InvariantCulture, $"shape ({shapeText}) needs {needed} of data but the file has {bytes.Length - data:N0}"));
        }
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + (4 * i)));
        }
        return (shape, values);
    }

    // "3, 4" or "5," (NumPy's one-element tuple) or "" (a scalar): each dimension a non-negative int.
    private static int[] ParseShape(string text, string path)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > 1 && parts[^1].Length == 0)
        {
            parts = parts[..^1];
        }
        if (parts is [""])
        {
            return [];
        }
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                throw new DataFormatException(path, string.Create(CultureInfo.InvariantCulture, $"shape ({text}): dimension '{parts[i]}' is not a whole number from 0 to {int.MaxValue:N0}"));
            }
        }
        return shape;
    }

    // The whole file, refusing what cannot be one array: over the 2 GiB an array holds, or not a regular
    // file (/dev/zero, a pipe), which would otherwise be read until memory runs out.
    private static byte[] ReadBounded(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new DataFormatException(path, Directory.Exists(path) ? "is a folder, not a .npy file" : "file not found");
        }
        if (info.Length > Array.MaxLength)
        {
            throw new DataFormatException(path, string.Create(CultureInfo.InvariantCulture, $"is {info.Length:N0} bytes, more than the {Array.MaxLength:N0} bytes one array can hold"));
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var bytes = new byte[info.Length];
        int total = 0, read;
        while (total < bytes.Length && (read = stream.Read(bytes, total, bytes.Length - total)) > 0)
        {
            total += read;
        }
        if (total < bytes.Length)
        {
            throw new DataFormatException(path, string.Create(CultureInfo.InvariantCulture, $"changed while it was read ({total:N0} of {bytes.Length:N0} bytes)"));
        }
        // A regular file yields no more than its length: more means a device, a pipe or a /proc file.
        if (stream.ReadByte() >= 0)
        {
            throw new DataFormatException(path, "is not a regular file (a device or a pipe?): refused");
        }
        return bytes;
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
