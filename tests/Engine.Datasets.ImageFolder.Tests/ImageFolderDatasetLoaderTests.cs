using System.Text;
using Engine.Imaging;

namespace Engine.Datasets.ImageFolder.Tests;

public sealed class ImageFolderDatasetLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ImageFolderDatasetLoader _loader = new();

    public void Dispose() => _folder.Dispose();

    private static byte[] Grey(int width, int height, byte value) => ImageEncoder.Encode(new DecodedImage(width, height, 1, Enumerable.Repeat(value, width * height).ToArray()));

    private static byte[] Pgm(int width, int height, byte value) =>
        [.. Encoding.ASCII.GetBytes($"P5 {width} {height} 255\n"), .. Enumerable.Repeat(value, width * height)];

    [Fact]
    public void LoadsClassesInOrdinalOrderWithLabelsAndPixels()
    {
        _folder.Write("train/dog/a.png", Grey(2, 2, 51));
        _folder.Write("train/cat/b.pgm", Pgm(2, 2, 102));
        _folder.Write("train/cat/.DS_Store", [1, 2, 3]);
        _folder.Write("train/Zebra/c.png", Grey(2, 2, 255));
        _folder.Write("test/dog/d.png", Grey(2, 2, 0));
        Directory.CreateDirectory(Path.Combine(_folder.Path, "test", "cat"));
        Directory.CreateDirectory(Path.Combine(_folder.Path, "test", "Zebra"));

        DatasetSplits splits = _loader.Load(_folder.Path);

        Assert.Equal(["Zebra", "cat", "dog"], splits.Train.ClassNames); // ordinal: upper case first
        Assert.Equal(new Shape(1, 2, 2), splits.Train.SampleShape);
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 3).Select(splits.Train.GetLabel));
        var sample = new float[4];
        splits.Train.CopySample(1, sample);
        Assert.All(sample, v => Assert.Equal(0.4f, v, 6));
        Assert.Equal(1, splits.Test.Count);
        Assert.Equal(2, splits.Test.GetLabel(0));
    }

    [Fact]
    public void DatasetJsonResizesAndConverts()
    {
        _folder.Write("dataset.json", Encoding.UTF8.GetBytes("""{"size": [2, 3], "channels": 3}"""));
        _folder.Write("train/a/x.png", Grey(4, 4, 200));
        _folder.Write("train/b/y.ppm", [.. "P6 1 1 255\n"u8, 10, 20, 30]);
        _folder.Write("test/a/z.png", Grey(6, 4, 100));
        Directory.CreateDirectory(Path.Combine(_folder.Path, "test", "b"));

        DatasetSplits splits = _loader.Load(_folder.Path);

        Assert.Equal(new Shape(3, 2, 3), splits.Train.SampleShape);
        var sample = new float[18];
        splits.Train.CopySample(1, sample); // a 1×1 RGB pixel stretched to 2×3
        Assert.Equal(10 / 255f, sample[0], 6);
        Assert.Equal(20 / 255f, sample[6], 6);
        Assert.Equal(30 / 255f, sample[17], 6);
        splits.Test.CopySample(0, sample); // grey repeated into three channels
        Assert.All(sample, v => Assert.Equal(100 / 255f, v, 6));
    }

    [Fact]
    public void ImagesOfAnotherSizeNameBothFiles()
    {
        string first = _folder.Write("train/a/1.png", Grey(3, 2, 0));
        string other = _folder.Write("train/b/2.png", Grey(2, 3, 0));
        _folder.Write("test/a/3.png", Grey(3, 2, 0));
        Directory.CreateDirectory(Path.Combine(_folder.Path, "test", "b"));

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), other, "2x3", first, "3x2", "dataset.json");
    }

    [Fact]
    public void CorruptImageIsReportedByName()
    {
        _folder.Write("train/a/1.png", Grey(2, 2, 0));
        byte[] png = Grey(2, 2, 0);
        png[20] ^= 1; // inside IHDR: its CRC no longer matches
        string bad = _folder.Write("train/a/2.png", png);
        _folder.Write("test/a/3.png", Grey(2, 2, 0));

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), bad, "corrupt or truncated PNG header");
    }

    [Fact]
    public void UnreadableFormatIsReportedByName()
    {
        string text = _folder.Write("train/a/notes.txt", Encoding.ASCII.GetBytes("hello"));
        _folder.Write("test/a/3.png", Grey(2, 2, 0));

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), text, "not an image");
    }

    [Fact]
    public void AFolderOfJpegDigitsDecodesInParallelInFileOrder()
    {
        byte[][] digits = TestImageFiles.MnistDigits(40);
        for (int i = 0; i < digits.Length; i++)
        {
            byte[] jpeg = ImageEncoder.Encode(new DecodedImage(28, 28, 1, digits[i]), ImageFileFormat.Jpeg, 95);
            _folder.Write($"{(i < 30 ? "train" : "test")}/{(i % 2 == 0 ? "even" : "odd")}/{i:D2}.jpg", jpeg);
        }

        DatasetSplits splits = _loader.Load(_folder.Path);

        Assert.Equal((30, 10), (splits.Train.Count, splits.Test.Count));
        Assert.Equal(new Shape(1, 28, 28), splits.Train.SampleShape);
        // Class "even" first (ordinal), each class in file order: 00, 02, … 28, then 01, 03, … 29.
        int[] order = [.. Enumerable.Range(0, 15).Select(k => 2 * k), .. Enumerable.Range(0, 15).Select(k => 2 * k + 1)];
        var sample = new float[784];
        for (int n = 0; n < order.Length; n++)
        {
            splits.Train.CopySample(n, sample);
            Assert.Equal(order[n] % 2, splits.Train.GetLabel(n));
            double error = sample.Zip(digits[order[n]], (v, b) => Math.Abs(v * 255 - b)).Average();
            Assert.True(error < 3, $"sample {n} (file {order[n]:D2}.jpg) is {error:F1} grey levels from its digit on average");
        }
    }

    [Fact]
    public void OfSeveralBadFilesTheFirstInFileOrderIsReported()
    {
        byte[] digit = TestImageFiles.MnistDigits(1)[0];
        byte[] jpeg = ImageEncoder.Encode(new DecodedImage(28, 28, 1, digit), ImageFileFormat.Jpeg, 90);
        for (int i = 0; i < 40; i++)
        {
            _folder.Write($"train/a/{i:D2}.jpg", i is 7 or 23 or 31 ? jpeg[..(jpeg.Length / 2)] : jpeg);
        }
        _folder.Write("test/a/x.jpg", jpeg);

        // Decoding runs in parallel, but the error is always the one of the first bad file.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            ErrorAssert.Throws(() => _loader.Load(_folder.Path), Path.Combine(_folder.Path, "train", "a", "07.jpg"), "truncated");
        }
    }

    [Fact]
    public void ClassSetsMustMatch()
    {
        _folder.Write("train/a/1.png", Grey(2, 2, 0));
        _folder.Write("train/b/1.png", Grey(2, 2, 0));
        _folder.Write("test/a/1.png", Grey(2, 2, 0));
        _folder.Write("test/c/1.png", Grey(2, 2, 0));

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), Path.Combine(_folder.Path, "test"), "only in train: [b]", "only in test: [c]");
    }

    [Fact]
    public void MissingTestFolderIsNamed()
    {
        _folder.Write("train/a/1.png", Grey(2, 2, 0));
        string test = Path.Combine(_folder.Path, "test");

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), test, "missing folder", "test/<class>");
    }

    [Fact]
    public void EmptyTrainingClassIsReported()
    {
        _folder.Write("train/a/1.png", Grey(2, 2, 0));
        Directory.CreateDirectory(Path.Combine(_folder.Path, "train", "b"));
        _folder.Write("test/a/1.png", Grey(2, 2, 0));
        Directory.CreateDirectory(Path.Combine(_folder.Path, "test", "b"));

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), Path.Combine(_folder.Path, "train", "b"), "holds no images");
    }

    [Theory]
    [InlineData("""{"size": [0, 4]}""", "\"size\" must be")]
    [InlineData("""{"channels": 2}""", "\"channels\" must be 1")]
    [InlineData("""{"colour": 3}""", "unknown key \"colour\"")]
    [InlineData("""{"size": [4, 4]""", "malformed JSON")]
    public void BadDatasetJsonIsReported(string json, string keyword)
    {
        string path = _folder.Write("dataset.json", Encoding.UTF8.GetBytes(json));
        _folder.Write("train/a/1.png", Grey(2, 2, 0));
        _folder.Write("test/a/1.png", Grey(2, 2, 0));

        ErrorAssert.Throws(() => _loader.Load(_folder.Path), path, keyword);
    }

    [Fact]
    public void BilinearResizeOfAConstantImageStaysConstantAndEqualSizeCopies()
    {
        var output = new float[2 * 5 * 7];
        BilinearResize.Resize(Enumerable.Repeat(0.25f, 2 * 3 * 3).ToArray(), 2, 3, 3, output, 5, 7);
        Assert.All(output, v => Assert.Equal(0.25f, v, 6));

        float[] image = [1, 2, 3, 4];
        var same = new float[4];
        BilinearResize.Resize(image, 1, 2, 2, same, 2, 2);
        Assert.Equal(image, same);

        // 1×2 → 1×4: centres at source x = −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
        var wide = new float[4];
        BilinearResize.Resize([0f, 1f], 1, 1, 2, wide, 1, 4);
        Assert.Equal([0f, 0.25f, 0.75f, 1f], wide);
    }

    [Fact]
    public void RgbToGreyUsesLumaWeights()
    {
        var image = new DecodedImage(1, 1, 4, [255, 0, 0, 7]); // red, alpha ignored
        Assert.Equal(0.299f, ImageConversion.ToPlanarFloats(image, 1)[0], 5);
        Assert.Equal(3, ImageConversion.ToPlanarFloats(image).Length);
    }
}
