namespace Engine.Datasets.Cifar;

/// <summary>
/// Reads CIFAR binary files (fixed-size records, see <see cref="CifarRecordLayout"/>) into one pixel
/// array and one label array. Sizes are checked for every file before anything is read, and every
/// label is range-checked, so a bad file is reported by name with the byte count or record index.
/// </summary>
public static class CifarBinaryReader
{
    private const int RecordsPerRead = 1024;

    /// <summary>Reads the records of <paramref name="paths"/>, in order, as one data set.</summary>
    /// <exception cref="DataFormatException">A file is missing, unreadable, empty, not a whole number of records, or holds a label out of range.</exception>
    public static ByteImageDataset Read(IReadOnlyList<string> paths, CifarRecordLayout layout, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(layout);
        int recordSize = layout.RecordSize;
        var counts = new int[paths.Count];
        long total = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            long size = FileSize(paths[f]);
            if (size == 0 || size % recordSize != 0)
            {
                throw new DataFormatException(paths[f],
                    $"truncated or not a CIFAR file: {size} bytes is not a whole number of {recordSize}-byte records ({size / recordSize} records and {size % recordSize} bytes over)");
            }
            counts[f] = (int)(size / recordSize);
            total += counts[f];
        }
        if (total * CifarRecordLayout.PixelBytes > Array.MaxLength)
        {
            throw new DataFormatException(paths[0], $"{total} records are more than one array can hold");
        }
        var pixels = GC.AllocateUninitializedArray<byte>((int)(total * CifarRecordLayout.PixelBytes));
        var labels = new byte[total];
        int at = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            ReadFile(paths[f], counts[f], layout, pixels, labels, at);
            at += counts[f];
        }
        return new ByteImageDataset(pixels, labels, CifarRecordLayout.SampleShape, classNames);
    }

    private static long FileSize(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (FileNotFoundException ex)
        {
            throw new DataFormatException(path, "file does not exist", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    private static void ReadFile(string path, int count, CifarRecordLayout layout, byte[] pixels, byte[] labels, int first)
    {
        int recordSize = layout.RecordSize;
        var buffer = new byte[RecordsPerRead * recordSize];
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            for (int done = 0; done < count;)
            {
                int n = Math.Min(RecordsPerRead, count - done);
                int got = file.ReadAtLeast(buffer.AsSpan(0, n * recordSize), n * recordSize, throwOnEndOfStream: false);
                if (got < n * recordSize)
                {
                    throw new DataFormatException(path, $"truncated while reading: record {done + got / recordSize} of {count} ends early");
                }
                for (int r = 0; r < n; r++)
                {
                    ReadOnlySpan<byte> record = buffer.AsSpan(r * recordSize, recordSize);
                    byte label = record[layout.LabelIndex];
                    if (label >= layout.ClassCount)
                    {
                        throw new DataFormatException(path,
                            $"label out of range: record {done + r} has label {label} but there are {layout.ClassCount} classes (0 to {layout.ClassCount - 1})");
                    }
                    int index = first + done + r;
                    labels[index] = label;
                    record[layout.LabelBytes..].CopyTo(pixels.AsSpan(index * CifarRecordLayout.PixelBytes, CifarRecordLayout.PixelBytes));
                }
                done += n;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }
}
