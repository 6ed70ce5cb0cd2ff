namespace Engine.Datasets.Cifar.Tests;

public sealed class Cifar100DatasetLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // Records are (coarse, fine).
    private void WriteAll()
    {
        _folder.Write("train.bin", CifarTestFiles.Records([19, 99], [0, 42], [4, 7]));
        _folder.Write("test.bin", CifarTestFiles.Records([3, 50]));
    }

    [Fact]
    public void FineVariantUsesTheSecondLabelByte()
    {
        WriteAll();

        DatasetSplits splits = new Cifar100DatasetLoader().Load(_folder.Path);

        Assert.Equal([99, 42, 7], Enumerable.Range(0, 3).Select(splits.Train.GetLabel));
        Assert.Equal(50, splits.Test.GetLabel(0));
        Assert.Equal(100, splits.Train.ClassCount);
        Assert.Equal("worm", splits.Train.ClassNames[99]);
        var sample = new float[3072];
        splits.Train.CopySample(2, sample);
        Assert.Equal(CifarTestFiles.Pixel(2, 3071) / 255f, sample[3071], 6);
    }

    [Fact]
    public void CoarseVariantUsesTheFirstLabelByte()
    {
        WriteAll();

        var loader = new Cifar100DatasetLoader(coarse: true);
        DatasetSplits splits = loader.Load(_folder.Path);

        Assert.Equal("cifar-100-coarse", loader.Name);
        Assert.Equal([19, 0, 4], Enumerable.Range(0, 3).Select(splits.Train.GetLabel));
        Assert.Equal(20, splits.Train.ClassCount);
        Assert.Equal("vehicles_2", splits.Train.ClassNames[19]);
    }

    [Fact]
    public void BuiltInNameListsHaveTheRightSizesAndNoDuplicates()
    {
        Assert.Equal(100, CifarClassNames.Cifar100Fine.Distinct().Count());
        Assert.Equal(20, CifarClassNames.Cifar100Coarse.Distinct().Count());
        Assert.Equal(CifarClassNames.Cifar100Fine.Order(StringComparer.Ordinal), CifarClassNames.Cifar100Fine);
    }

    [Fact]
    public void ReadsNameFilesForEachVariant()
    {
        WriteAll();
        _folder.Write("coarse_label_names.txt", System.Text.Encoding.ASCII.GetBytes(string.Join("\n", Enumerable.Range(0, 20).Select(i => $"super{i}"))));

        Assert.Equal("super19", new Cifar100DatasetLoader(coarse: true).Load(_folder.Path).Train.ClassNames[19]);
        Assert.Equal("worm", new Cifar100DatasetLoader().Load(_folder.Path).Train.ClassNames[99]);
    }

    [Fact]
    public void RejectsAFineLabelOf100()
    {
        _folder.Write("train.bin", CifarTestFiles.Records([1, 1]));
        string test = _folder.Write("test.bin", CifarTestFiles.Records([1, 1], [2, 100]));

        ErrorAssert.Throws(() => new Cifar100DatasetLoader().Load(_folder.Path), test, "record 1", "label 100", "100 classes");
    }

    [Fact]
    public void RejectsACoarseLabelOf20ThatTheFineVariantAccepts()
    {
        string train = _folder.Write("train.bin", CifarTestFiles.Records([20, 1]));
        _folder.Write("test.bin", CifarTestFiles.Records([1, 1]));

        Assert.Equal(1, new Cifar100DatasetLoader().Load(_folder.Path).Train.GetLabel(0));
        ErrorAssert.Throws(() => new Cifar100DatasetLoader(coarse: true).Load(_folder.Path), train, "record 0", "label 20");
    }

    [Fact]
    public void ReportsRecordsOfTheCifar10Size()
    {
        // A CIFAR-10 file (3073-byte records) is not a whole number of 3074-byte records.
        string train = _folder.Write("train.bin", new byte[3073 * 2]);
        _folder.Write("test.bin", CifarTestFiles.Records([1, 1]));

        ErrorAssert.Throws(() => new Cifar100DatasetLoader().Load(_folder.Path), train, "6146 bytes", "3074-byte records");
    }

    [Fact]
    public void ListsMissingFiles()
    {
        _folder.Write("train.bin", CifarTestFiles.Records([1, 1]));

        ErrorAssert.Throws(() => new Cifar100DatasetLoader().Load(_folder.Path), _folder.Path, "test.bin", "train.bin, test.bin");
    }
}
