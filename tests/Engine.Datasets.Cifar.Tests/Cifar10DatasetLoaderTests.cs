namespace Engine.Datasets.Cifar.Tests;

public sealed class Cifar10DatasetLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Cifar10DatasetLoader _loader = new();

    public void Dispose() => _folder.Dispose();

    // Batch b holds two records with labels b and b+1; the test batch one record labelled 9.
    private void WriteAll()
    {
        for (int b = 1; b <= 5; b++)
        {
            _folder.Write($"data_batch_{b}.bin", CifarTestFiles.Records([(byte)b], [(byte)(b + 1)]));
        }
        _folder.Write("test_batch.bin", CifarTestFiles.Records([9]));
    }

    [Fact]
    public void LoadsAllBatchesInOrderWithPixelsScaled()
    {
        WriteAll();

        DatasetSplits splits = _loader.Load(_folder.Path);

        Assert.Equal(10, splits.Train.Count);
        Assert.Equal(1, splits.Test.Count);
        Assert.Equal(new Shape(3, 32, 32), splits.Train.SampleShape);
        Assert.Equal([1, 2, 2, 3, 3, 4, 4, 5, 5, 6], Enumerable.Range(0, 10).Select(splits.Train.GetLabel));
        Assert.Equal(9, splits.Test.GetLabel(0));
        var sample = new float[3072];
        splits.Train.CopySample(3, sample); // second record of data_batch_2
        Assert.Equal(CifarTestFiles.Pixel(1, 0) / 255f, sample[0], 6);
        Assert.Equal(CifarTestFiles.Pixel(1, 1024 + 5) / 255f, sample[1024 + 5], 6); // green plane, x=5
        Assert.Equal(CifarClassNames.Cifar10, splits.Train.ClassNames);
    }

    [Fact]
    public void ReadsClassNamesFromTheMetaFileIgnoringBlankLines()
    {
        WriteAll();
        _folder.Write("batches.meta.txt", System.Text.Encoding.ASCII.GetBytes("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n"));

        DatasetSplits splits = _loader.Load(_folder.Path);

        Assert.Equal("j", splits.Test.ClassNames[9]);
    }

    [Fact]
    public void RejectsAMetaFileWithTheWrongNumberOfNames()
    {
        WriteAll();
        string meta = _folder.Write("batches.meta.txt", System.Text.Encoding.ASCII.GetBytes("cat\ndog\n"));

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), meta, "2", "10 classes");
    }

    [Fact]
    public void ListsEveryMissingFileAndTheExpectedSet()
    {
        WriteAll();
        File.Delete(Path.Combine(_folder.Path, "data_batch_3.bin"));
        File.Delete(Path.Combine(_folder.Path, "test_batch.bin"));

        var error = ErrorAssert.Throws(() => _loader.Load(_folder.Path), _folder.Path, "data_batch_3.bin, test_batch.bin", "data_batch_1.bin");
        Assert.Contains("missing", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsAMissingFolder()
    {
        string missing = Path.Combine(_folder.Path, "nope");
        ErrorAssert.Throws(() => _loader.Load(missing), missing, "does not exist");
    }

    [Fact]
    public void ReportsATruncatedFileWithItsByteCount()
    {
        WriteAll();
        byte[] records = CifarTestFiles.Records([1], [2]);
        string path = _folder.Write("data_batch_4.bin", records[..^100]); // 6146 - 100 = 6046 bytes

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), path, "6046 bytes", "3073-byte records", "1 records and 2973 bytes over");
    }

    [Fact]
    public void ReportsAnEmptyFile()
    {
        WriteAll();
        string path = _folder.Write("test_batch.bin", []);

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), path, "0 bytes");
    }

    [Fact]
    public void ReportsALabelOutOfRangeWithTheRecordIndex()
    {
        WriteAll();
        string path = _folder.Write("data_batch_2.bin", CifarTestFiles.Records([0], [1], [10]));

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), path, "record 2", "label 10", "10 classes");
    }

    [Fact]
    public void DescribesTheFilesItExpects()
    {
        Assert.Equal("cifar-10", _loader.Name);
        Assert.Contains("data_batch_5.bin", _loader.Description, StringComparison.Ordinal);
        Assert.Contains("test_batch.bin", _loader.Description, StringComparison.Ordinal);
    }
}
