using static Engine.Datasets.Idx.Tests.IdxTestFiles;

namespace Engine.Datasets.Idx.Tests;

public sealed class IdxDatasetLoaderTests : IDisposable
{
    private const int Rows = 3;
    private const int Cols = 2;

    private readonly TempFolder _folder = new();
    private readonly byte[] _trainPixels = Pattern(5 * Rows * Cols, seed: 10);
    private readonly byte[] _trainLabels = [0, 9, 4, 4, 1];
    private readonly byte[] _testPixels = Pattern(2 * Rows * Cols, seed: 11);
    private readonly byte[] _testLabels = [9, 2];

    public void Dispose() => _folder.Dispose();

    // A complete small data set; gzip'd training files and raw test files, as both forms must load.
    private void WriteDataset()
    {
        _folder.Write("train-images-idx3-ubyte.gz", Images(5, Rows, Cols, _trainPixels), gzip: true);
        _folder.Write("train-labels-idx1-ubyte.gz", Labels(_trainLabels), gzip: true);
        _folder.Write("t10k-images-idx3-ubyte", Images(2, Rows, Cols, _testPixels));
        _folder.Write("t10k-labels-idx1-ubyte", Labels(_testLabels));
    }

    [Fact]
    public void LoadsBothSplits()
    {
        WriteDataset();

        DatasetSplits splits = IdxDatasetLoader.Mnist().Load(_folder.Path);

        var train = Assert.IsType<ByteImageDataset>(splits.Train);
        var test = Assert.IsType<ByteImageDataset>(splits.Test);
        Assert.Equal(5, train.Count);
        Assert.Equal(2, test.Count);
        Assert.Equal(new Shape(1, Rows, Cols), train.SampleShape);
        Assert.Equal(new Shape(1, Rows, Cols), test.SampleShape);
        Assert.Equal(_trainLabels, Enumerable.Range(0, train.Count).Select(i => (byte)train.GetLabel(i)));
        Assert.Equal(_testLabels, Enumerable.Range(0, test.Count).Select(i => (byte)test.GetLabel(i)));
        Assert.Equal(_trainPixels.AsSpan(3 * Rows * Cols, Rows * Cols).ToArray(), train.GetPixels(3).ToArray());
        Assert.Equal(_testPixels.AsSpan(Rows * Cols, Rows * Cols).ToArray(), test.GetPixels(1).ToArray());
        Assert.Equal(10, train.ClassCount);
        Assert.Equal("7", train.ClassNames[7]);
    }

    [Fact]
    public void ScalesPixelsToTheUnitInterval()
    {
        WriteDataset();
        _folder.Write("t10k-images-idx3-ubyte", Images(2, Rows, Cols, [0, 255, 51, 102, 0, 0, 1, 2, 3, 4, 5, 6]));

        ImageDataset test = IdxDatasetLoader.Mnist().Load(_folder.Path).Test;

        var sample = new float[Rows * Cols];
        test.CopySample(0, sample);
        Assert.Equal([0f, 1f, 0.2f, 0.4f, 0f, 0f], sample, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void PrefersGzipWhenBothFormsExist()
    {
        WriteDataset();
        _folder.Write("t10k-labels-idx1-ubyte.gz", Labels([5, 6]), gzip: true);

        ImageDataset test = IdxDatasetLoader.Mnist().Load(_folder.Path).Test;

        Assert.Equal(5, test.GetLabel(0));
        Assert.Equal(6, test.GetLabel(1));
    }

    [Fact]
    public void ReportsMissingFolder()
    {
        string missing = Path.Combine(_folder.Path, "nowhere");

        ErrorAssert.Throws(() => IdxDatasetLoader.Mnist().Load(missing), missing, $"data folder '{missing}' does not exist");
    }

    [Theory]
    [InlineData("train-images-idx3-ubyte")]
    [InlineData("train-labels-idx1-ubyte")]
    [InlineData("t10k-images-idx3-ubyte")]
    [InlineData("t10k-labels-idx1-ubyte")]
    public void ReportsMissingFile(string baseName)
    {
        WriteDataset();
        File.Delete(Path.Combine(_folder.Path, baseName));
        File.Delete(Path.Combine(_folder.Path, baseName + ".gz"));

        ErrorAssert.Throws(() => IdxDatasetLoader.Mnist().Load(_folder.Path), _folder.Path,
            "missing", $"{baseName}.gz and {baseName}", $"folder '{_folder.Path}'");
    }

    [Fact]
    public void ReportsImageLabelCountMismatch()
    {
        WriteDataset();
        string labels = _folder.Write("t10k-labels-idx1-ubyte", Labels([1, 2, 3]));
        string images = Path.Combine(_folder.Path, "t10k-images-idx3-ubyte");

        var error = ErrorAssert.Throws(() => IdxDatasetLoader.Mnist().Load(_folder.Path), labels,
            "mismatch", "3 labels", "2 images");
        Assert.Contains(images, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsLabelOutOfRange()
    {
        WriteDataset();
        string labels = _folder.Write("train-labels-idx1-ubyte.gz", Labels([0, 1, 2, 10, 3]), gzip: true);

        ErrorAssert.Throws(() => IdxDatasetLoader.Mnist().Load(_folder.Path), labels,
            "out of range", "label 3 is 10", "10 classes");
    }

    [Fact]
    public void AcceptsTheHighestLabelOfASmallClassList()
    {
        WriteDataset();
        _folder.Write("train-labels-idx1-ubyte.gz", Labels([0, 1, 2, 1, 0]), gzip: true);
        _folder.Write("t10k-labels-idx1-ubyte", Labels([2, 2]));
        var loader = new IdxDatasetLoader("three", "three classes", ["a", "b", "c"]);

        Assert.Equal(2, loader.Load(_folder.Path).Test.GetLabel(0));

        string labels = _folder.Write("t10k-labels-idx1-ubyte", Labels([2, 3]));
        ErrorAssert.Throws(() => loader.Load(_folder.Path), labels, "label 1 is 3", "3 classes");
    }

    [Fact]
    public void ReportsSplitsOfDifferentImageSizes()
    {
        WriteDataset();
        string images = _folder.Write("t10k-images-idx3-ubyte", Images(2, Cols, Rows, _testPixels));

        ErrorAssert.Throws(() => IdxDatasetLoader.Mnist().Load(_folder.Path), images, "2x3", "3x2");
    }

    [Fact]
    public void PassesReaderErrorsThroughNamingTheFile()
    {
        WriteDataset();
        string images = _folder.Write("t10k-images-idx3-ubyte", Images(2, Rows, Cols, _testPixels[..5]));

        ErrorAssert.Throws(() => IdxDatasetLoader.Mnist().Load(_folder.Path), images, "truncated");
    }

    [Fact]
    public void DescribesItselfWithTheFilesItExpects()
    {
        var loader = IdxDatasetLoader.FashionMnist();

        Assert.Equal("fashion-mnist", loader.Name);
        Assert.Contains("t10k-labels-idx1-ubyte", loader.Description, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', loader.Description);
    }
}
