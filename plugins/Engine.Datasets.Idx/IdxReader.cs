using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Datasets.Idx;

/// <summary>
/// Reads unsigned-byte IDX files (the MNIST format), gzip'd or raw. Every problem, from a wrong
/// magic number to a byte too many, is reported as a <see cref="DataFormatException"/> whose
/// one-line message names the file and says what is wrong with it.
/// </summary>
/// <remarks>
/// Layout after decompression: a big-endian magic number <c>0x000008NN</c> (0x08 = unsigned byte,
/// NN = number of dimensions), NN big-endian 32-bit dimension sizes, then the product of those
/// sizes in data bytes and nothing else.
/// </remarks>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;

    // Deflate cannot compress better than about 1032:1. A header promising more data than that
    // bound allows cannot be honest, so we report the truncation without first allocating an array
    // of the promised (possibly gigabytes-sized) length.
    private const long MaxDeflateRatio = 1032;

    // Large enough that the inflater rarely waits on the disk; the data array is filled in one pass.
    private const int FileBufferSize = 1 << 16;

    /// <summary>Reads an image file: rank 3, [count, rows, cols].</summary>
    /// <exception cref="DataFormatException">The file is missing, unreadable or malformed.</exception>
    public static IdxFile ReadImages(string path) => Read(path, 3, "images", "pixel bytes");

    /// <summary>Reads a label file: rank 1, [count].</summary>
    /// <exception cref="DataFormatException">The file is missing, unreadable or malformed.</exception>
    public static IdxFile ReadLabels(string path) => Read(path, 1, "labels", "label bytes");

    /// <summary>Reads an IDX file that must have <paramref name="expectedRank"/> dimensions.</summary>
    /// <exception cref="DataFormatException">The file is missing, unreadable or malformed.</exception>
    public static IdxFile Read(string path, int expectedRank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedRank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expectedRank, byte.MaxValue);
        return Read(path, expectedRank, "items", "data bytes");
    }

    // itemsName and bytesName only word the truncation and trailing-data messages,
    // e.g. "60000 images of 28x28 (47040000 pixel bytes)".
    private static IdxFile Read(string path, int rank, string itemsName, string bytesName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        bool gzip = false;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferSize, FileOptions.SequentialScan);
            // The content decides, not the extension: a renamed or already-gunzipped file still reads.
            gzip = IsGzip(file);
            using Stream data = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            return ReadContent(path, data, gzip, file.Length, rank, itemsName, bytesName);
        }
        catch (InvalidDataException ex) when (gzip)
        {
            // .NET reports any damaged deflate stream as "compressed using an unsupported compression
            // method", which sends users looking for the wrong problem: say what it is.
            throw Error(path, "corrupt gzip data: the compressed stream is damaged (a partial download or a changed byte?); download the file again", ex);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Error(path, "file does not exist", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Error(path, $"cannot be read: {OneLine(ex.Message)}", ex);
        }
    }

    private static IdxFile ReadContent(string path, Stream data, bool gzip, long fileLength, int rank, string itemsName, string bytesName)
    {
        int headerLength = 4 + 4 * rank;
        Span<byte> header = stackalloc byte[headerLength];
        int got = data.ReadAtLeast(header, headerLength, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw Error(path, $"truncated: the {headerLength}-byte header of an IDX file with {Dimensions(rank)} ends after {got} bytes");
        }
        CheckMagic(path, header, rank);
        if (got < headerLength)
        {
            throw Error(path, $"truncated: the {headerLength}-byte header of an IDX file with {Dimensions(rank)} ends after {got} bytes");
        }

        int[] dims = ReadDimensions(path, header[4..], rank);
        long promised = 1;
        foreach (int d in dims)
        {
            promised *= d; // cannot overflow: checked against Array.MaxLength after each factor
            if (promised > Array.MaxLength)
            {
                throw Error(path, $"dimensions {string.Join("x", dims)} promise more data bytes than one array can hold ({Array.MaxLength})");
            }
        }
        string promise = $"{Describe(dims, itemsName)} ({promised} {bytesName})";

        // A raw file's size tells exactly how much data follows the header; a gzip'd file's size
        // bounds it. Either way an impossible promise is refused before the allocation.
        long available = gzip ? fileLength * MaxDeflateRatio : fileLength - headerLength;
        if (promised > available)
        {
            long found = gzip ? CountRemaining(data) : available;
            throw Error(path, $"truncated: header promises {promise} but the file holds {found}");
        }

        byte[] bytes = GC.AllocateUninitializedArray<byte>((int)promised);
        int read = data.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (read < bytes.Length)
        {
            throw Error(path, $"truncated: header promises {promise} but the file holds {read}");
        }
        long extra = CountRemaining(data);
        if (extra > 0)
        {
            throw Error(path, $"trailing data: {extra} bytes follow the {promise} the header promises");
        }
        return new IdxFile(path, dims, bytes);
    }

    // Gzip streams start with 0x1f 0x8b; an IDX file starts with two zero bytes, so the two cannot be confused.
    private static bool IsGzip(FileStream file)
    {
        Span<byte> start = stackalloc byte[2];
        int got = file.ReadAtLeast(start, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return got == 2 && start[0] == 0x1f && start[1] == 0x8b;
    }

    private static void CheckMagic(string path, ReadOnlySpan<byte> header, int rank)
    {
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        string why;
        if (header[0] != 0 || header[1] != 0)
        {
            why = "not an IDX file";
        }
        else if (header[2] != UnsignedByteType)
        {
            why = $"data type 0x{header[2]:X2} is not unsigned byte (0x{UnsignedByteType:X2})";
        }
        else if (header[3] != rank)
        {
            why = $"the file has {Dimensions(header[3])}";
        }
        else
        {
            return;
        }
        uint expected = (uint)(UnsignedByteType << 8 | rank);
        throw Error(path, $"wrong magic number 0x{magic:X8} (expected 0x{expected:X8}: unsigned-byte IDX with {Dimensions(rank)}); {why}");
    }

    private static int[] ReadDimensions(string path, ReadOnlySpan<byte> sizes, int rank)
    {
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(sizes[(4 * i)..]);
            // Zero is legal IDX but never a usable data set; a huge value is a corrupt header.
            if (d == 0 || d > int.MaxValue)
            {
                throw Error(path, $"bad dimension: size {i + 1} of {rank} in the header is {d}; it must be between 1 and {int.MaxValue}");
            }
            dims[i] = (int)d;
        }
        return dims;
    }

    // Reads to the end of the stream, counting bytes, for "holds N" and "N trailing bytes" messages.
    private static long CountRemaining(Stream data)
    {
        byte[] scratch = new byte[FileBufferSize];
        long total = 0;
        int n;
        while ((n = data.Read(scratch)) > 0)
        {
            total += n;
        }
        return total;
    }

    // "60000 images of 28x28" for an image file, "60000 labels" for a label file.
    private static string Describe(int[] dims, string itemsName) =>
        dims.Length == 1 ? $"{dims[0]} {itemsName}" : $"{dims[0]} {itemsName} of {string.Join("x", dims[1..])}";

    private static string Dimensions(int n) => n == 1 ? "1 dimension" : $"{n} dimensions";

    // Messages are one line so that a log or console shows the whole error on the line it starts.
    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static DataFormatException Error(string path, string problem, Exception? inner = null) => new(path, problem, inner);
}
