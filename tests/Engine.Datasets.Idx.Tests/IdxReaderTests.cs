using static Engine.Datasets.Idx.Tests.IdxTestFiles;

namespace Engine.Datasets.Idx.Tests;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesBackExactly(bool gzip)
    {
        byte[] pixels = Pattern(3 * 5 * 4, seed: 1);
        string path = _folder.Write("images", Images(3, 5, 4, pixels), gzip);

        IdxFile file = IdxReader.ReadImages(path);

        Assert.Equal([3, 5, 4], file.Dimensions);
        Assert.Equal(3, file.Count);
        Assert.Equal(pixels, file.Data);
        Assert.Equal(path, file.Path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsLabelsBackExactly(bool gzip)
    {
        byte[] labels = [7, 0, 9, 3, 3, 1];
        string path = _folder.Write("labels", Labels(labels), gzip);

        IdxFile file = IdxReader.ReadLabels(path);

        Assert.Equal([6], file.Dimensions);
        Assert.Equal(labels, file.Data);
    }

    [Fact]
    public void DetectsGzipByContentNotByExtension()
    {
        byte[] labels = [4, 2];
        string gzipWithoutExtension = _folder.Write("labels-idx1-ubyte", Labels(labels), gzip: true);
        string rawWithGzExtension = _folder.Write("labels-idx1-ubyte.gz", Labels(labels), gzip: false);

        Assert.Equal(labels, IdxReader.ReadLabels(gzipWithoutExtension).Data);
        Assert.Equal(labels, IdxReader.ReadLabels(rawWithGzExtension).Data);
    }

    [Fact]
    public void GenericReadChecksTheRankItIsGiven()
    {
        string path = _folder.Write("matrix", Build(0x00000802, [2, 3], [1, 2, 3, 4, 5, 6]));

        Assert.Equal([2, 3], IdxReader.Read(path, 2).Dimensions);
        ErrorAssert.Throws(() => IdxReader.Read(path, 3), path, "magic", "0x00000803", "2 dimensions");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsWrongMagic(bool gzip)
    {
        string path = _folder.Write("train-images-idx3-ubyte", Build(0x12345678, [1, 1, 1], [0]), gzip);

        ErrorAssert.Throws(() => IdxReader.ReadImages(path), path,
            "wrong magic number 0x12345678 (expected 0x00000803: unsigned-byte IDX with 3 dimensions)", "not an IDX file");
    }

    [Fact]
    public void RejectsDataTypeOtherThanUnsignedByte()
    {
        // 0x0D is float in the IDX type table; this engine reads unsigned bytes only.
        string path = _folder.Write("floats-idx3", Build(0x00000D03, [1, 1, 1], [0, 0, 0, 0]));

        ErrorAssert.Throws(() => IdxReader.ReadImages(path), path, "magic", "0x00000D03", "not unsigned byte");
    }

    [Fact]
    public void RejectsWrongRank()
    {
        // A label file where an image file belongs: the most likely mix-up.
        string path = _folder.Write("train-images-idx3-ubyte.gz", Labels([1, 2, 3]), gzip: true);

        ErrorAssert.Throws(() => IdxReader.ReadImages(path), path,
            "wrong magic number 0x00000801 (expected 0x00000803", "has 1 dimension");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsTruncatedData(bool gzip)
    {
        // The header promises 3 images of 4x4 = 48 bytes; only 40 follow.
        string path = _folder.Write("t10k-images-idx3-ubyte", Images(3, 4, 4, Pattern(40, seed: 2)), gzip);

        ErrorAssert.Throws(() => IdxReader.ReadImages(path), path,
            "truncated: header promises 3 images of 4x4 (48 pixel bytes) but the file holds 40");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsTruncatedLabels(bool gzip)
    {
        string path = _folder.Write("t10k-labels-idx1-ubyte", Build(LabelMagic, [10], [1, 2, 3]), gzip);

        ErrorAssert.Throws(() => IdxReader.ReadLabels(path), path,
            "truncated: header promises 10 labels (10 label bytes) but the file holds 3");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsTruncatedHeader(bool gzip)
    {
        byte[] whole = Images(1, 2, 2, [1, 2, 3, 4]);
        string path = _folder.Write("images", whole[..10], gzip);

        ErrorAssert.Throws(() => IdxReader.ReadImages(path), path, "truncated", "16-byte header", "after 10 bytes");
    }

    [Fact]
    public void RejectsEmptyFile()
    {
        string path = _folder.Write("empty", []);

        ErrorAssert.Throws(() => IdxReader.ReadLabels(path), path, "truncated", "after 0 bytes");
    }

    [Fact]
    public void RefusesAnImpossiblePromiseWithoutAllocatingIt()
    {
        // A corrupt header promising 10^9 pixels in a gzip file of a few dozen bytes: deflate
        // cannot expand that far, so the reader must answer quickly with the bytes it found.
        string path = _folder.Write("images.gz", Images(1000, 1000, 1000, [1, 2, 3]), gzip: true);

        ErrorAssert.Throws(() => IdxReader.ReadImages(path), path,
            "truncated: header promises 1000 images of 1000x1000 (1000000000 pixel bytes) but the file holds 3");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsTrailingBytes(bool gzip)
    {
        string path = _folder.Write("labels", Build(LabelMagic, [3], [1, 2, 3, 4, 5, 6, 7, 8]), gzip);

        ErrorAssert.Throws(() => IdxReader.ReadLabels(path), path, "trailing data: 5 bytes", "3 labels (3 label bytes)");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)] // 0xFFFFFFFF: beyond int.MaxValue
    public void RejectsBadDimension(int rows)
    {
        string path = _folder.Write("images", Images(1, rows, 2, [1, 2]));

        var error = ErrorAssert.Throws(() => IdxReader.ReadImages(path), path, "dimension", "size 2 of 3");
        Assert.Contains(((uint)rows).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsDimensionsTooLargeForOneArray()
    {
        string path = _folder.Write("images", Images(int.MaxValue, 2, 2, [1]));

        ErrorAssert.Throws(() => IdxReader.ReadImages(path), path, "more data bytes than one array can hold");
    }

    [Fact]
    public void ReportsCorruptGzip()
    {
        // A valid gzip header (magic, deflate, no flags) followed by bytes that are not a deflate stream.
        byte[] corrupt = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        string path = _folder.Write("train-labels-idx1-ubyte.gz", corrupt);

        var error = ErrorAssert.Throws(() => IdxReader.ReadLabels(path), path, "corrupt gzip");
        Assert.IsType<InvalidDataException>(error.InnerException);
        Assert.Equal("corrupt gzip data: the compressed stream is damaged (a partial download or a changed byte?); download the file again", error.Problem);
        Assert.DoesNotContain("unsupported compression method", error.Message); // .NET's words for any damage
    }

    [Fact]
    public void ReportsGzipCutShort()
    {
        // A download that stopped half-way: the deflate stream just ends. Whether the inflater
        // notices or the IDX length check does, the user must get a data error naming the file.
        byte[] gz = Gzip(Images(4, 8, 8, Pattern(256, seed: 3)));
        string path = _folder.Write("images.gz", gz[..(gz.Length / 2)]);

        var error = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));
        Assert.Equal(path, error.Path);
        Assert.Matches("truncated|corrupt gzip", error.Problem);
    }

    [Fact]
    public void ReportsMissingFile()
    {
        string path = Path.Combine(_folder.Path, "no-such-file.gz");

        ErrorAssert.Throws(() => IdxReader.ReadLabels(path), path, "does not exist");
    }
}
