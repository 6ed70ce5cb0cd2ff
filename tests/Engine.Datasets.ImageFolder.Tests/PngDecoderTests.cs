using Engine.Imaging;

namespace Engine.Datasets.ImageFolder.Tests;

public sealed class PngDecoderTests
{
    private static int[] Samples(int count, int depth, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(1 << depth)).ToArray();
    }

    private static byte To8Bit(int v, int depth) => depth switch
    {
        16 => (byte)((v * 255 + 32767) / 65535),
        8 => (byte)v,
        _ => (byte)(v * 255 / ((1 << depth) - 1)),
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void DecodesEachFilterType(int filter)
    {
        int[] samples = Samples(5 * 4 * 3, 8, filter);
        byte[] png = PngTestWriter.Write(5, 4, 8, 2, 3, samples, filterOf: _ => filter);

        DecodedImage image = PngDecoder.Decode(png, "f.png");

        Assert.Equal((5, 4, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal(samples.Select(v => (byte)v), image.Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void DecodesGreyAtEveryBitDepth(int depth)
    {
        // Width 7 leaves a partly used last byte at depths below 8.
        int[] samples = Samples(7 * 3, depth, depth);
        byte[] png = PngTestWriter.Write(7, 3, depth, 0, 1, samples);

        DecodedImage image = PngDecoder.Decode(png, "g.png");

        Assert.Equal(1, image.Channels);
        Assert.Equal(samples.Select(v => To8Bit(v, depth)), image.Pixels);
    }

    [Fact]
    public void ScalesTwoBitGreyToTheFullRange()
    {
        byte[] png = PngTestWriter.Write(4, 1, 2, 0, 1, [0, 1, 2, 3]);
        Assert.Equal([0, 85, 170, 255], PngDecoder.Decode(png, "g2.png").Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void DecodesPalettesToRgb(int depth)
    {
        int entries = 1 << depth;
        byte[] palette = Enumerable.Range(0, entries * 3).Select(i => (byte)(i * 37 + 11)).ToArray();
        int[] indices = Samples(9 * 2, depth, 100 + depth);
        byte[] png = PngTestWriter.Write(9, 2, depth, 3, 1, indices, palette: palette);

        DecodedImage image = PngDecoder.Decode(png, "p.png");

        Assert.Equal(3, image.Channels);
        Assert.Equal(indices.SelectMany(i => palette[(3 * i)..(3 * i + 3)]), image.Pixels);
    }

    [Theory]
    [InlineData(4, 2, 8)]
    [InlineData(4, 2, 16)]
    [InlineData(6, 4, 8)]
    [InlineData(6, 4, 16)]
    [InlineData(2, 3, 16)]
    public void DecodesAlphaAndSixteenBitColourTypes(int colourType, int samplesPerPixel, int depth)
    {
        int[] samples = Samples(6 * 5 * samplesPerPixel, depth, colourType * depth);
        byte[] png = PngTestWriter.Write(6, 5, depth, colourType, samplesPerPixel, samples);

        DecodedImage image = PngDecoder.Decode(png, "a.png");

        Assert.Equal(samplesPerPixel, image.Channels);
        Assert.Equal(samples.Select(v => To8Bit(v, depth)), image.Pixels);
    }

    [Theory]
    [InlineData(2, 3, 8, 9, 7)]
    [InlineData(0, 1, 1, 13, 11)]
    [InlineData(6, 4, 16, 3, 2)]
    [InlineData(0, 1, 8, 1, 1)]
    public void DecodesAdam7InterlacedImages(int colourType, int samplesPerPixel, int depth, int width, int height)
    {
        int[] samples = Samples(width * height * samplesPerPixel, depth, width);
        byte[] plain = PngTestWriter.Write(width, height, depth, colourType, samplesPerPixel, samples);
        byte[] interlaced = PngTestWriter.Write(width, height, depth, colourType, samplesPerPixel, samples, interlace: true);

        DecodedImage image = PngDecoder.Decode(interlaced, "i.png");

        Assert.Equal(samples.Select(v => To8Bit(v, depth)), image.Pixels);
        Assert.Equal(PngDecoder.Decode(plain, "p.png").Pixels, image.Pixels);
    }

    [Fact]
    public void ReadsWhatTheSdkEncoderWrites()
    {
        byte[] pixels = Enumerable.Range(0, 4 * 3 * 4).Select(i => (byte)(i * 5)).ToArray();
        DecodedImage image = ImageDecoder.Decode(PngEncoder.Encode(4, 3, 4, pixels), "e.png");
        Assert.Equal(pixels, image.Pixels);
        Assert.Equal(20, image[1, 0, 0]); // pixel 1 starts at byte 4
    }

    [Fact]
    public void IgnoresAncillaryChunks()
    {
        byte[] header = PngTestWriter.Write(1, 1, 8, 0, 1, [200]);
        // Rebuild with a tEXt chunk between IHDR and IDAT.
        byte[] ihdr = header[16..29];
        byte[] idat = PngTestWriter.Zlib([0, 200]);
        byte[] png = PngTestWriter.Assemble([("IHDR", ihdr), ("tEXt", "Comment\0hi"u8.ToArray()), ("IDAT", idat), ("IEND", [])]);
        Assert.Equal([200], PngDecoder.Decode(png, "t.png").Pixels);
    }

    [Fact]
    public void ReportsACrcMismatchNamingTheChunk()
    {
        byte[] png = PngTestWriter.Write(2, 2, 8, 0, 1, [1, 2, 3, 4]);
        png[^20] ^= 0xFF; // inside the IDAT data (IEND takes the last 12 bytes, the IDAT CRC 4 more)

        var error = ErrorAssert.Throws(() => PngDecoder.Decode(png, "bad.png"), "bad.png", "CRC mismatch", "'IDAT'");
        Assert.Contains("computed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsATruncatedFile()
    {
        byte[] png = PngTestWriter.Write(4, 4, 8, 2, 3, Samples(48, 8, 1));
        ErrorAssert.Throws(() => PngDecoder.Decode(png[..50], "cut.png"), "cut.png", "truncated", "'IDAT' at offset 33", "5 remain");
        ErrorAssert.Throws(() => PngDecoder.Decode(png[..38], "cut.png"), "cut.png", "truncated", "5 bytes at offset 33");
        ErrorAssert.Throws(() => PngDecoder.Decode(png[..^12], "noend.png"), "noend.png", "truncated", "without an IEND chunk");
    }

    [Fact]
    public void ReportsMissingIhdrAndIdat()
    {
        byte[] idat = PngTestWriter.Zlib([0, 1]);
        ErrorAssert.Throws(() => PngDecoder.Decode(PngTestWriter.Assemble([("IDAT", idat), ("IEND", [])]), "x.png"), "x.png", "missing IHDR", "'IDAT'");

        byte[] ihdr = PngTestWriter.Write(1, 1, 8, 0, 1, [1])[16..29];
        ErrorAssert.Throws(() => PngDecoder.Decode(PngTestWriter.Assemble([("IHDR", ihdr), ("IEND", [])]), "y.png"), "y.png", "missing IDAT");
    }

    [Fact]
    public void ReportsImageDataThatInflatesShort()
    {
        byte[] ihdr = PngTestWriter.Write(4, 4, 8, 0, 1, new int[16])[16..29];
        byte[] png = PngTestWriter.Assemble([("IHDR", ihdr), ("IDAT", PngTestWriter.Zlib(new byte[10])), ("IEND", [])]);
        ErrorAssert.Throws(() => PngDecoder.Decode(png, "short.png"), "short.png", "inflates to 10 bytes but 20 are needed");
    }

    [Fact]
    public void ReportsCorruptZlibData()
    {
        byte[] ihdr = PngTestWriter.Write(1, 1, 8, 0, 1, [1])[16..29];
        byte[] png = PngTestWriter.Assemble([("IHDR", ihdr), ("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF]), ("IEND", [])]);
        var error = ErrorAssert.Throws(() => PngDecoder.Decode(png, "z.png"), "z.png", "corrupt zlib data");
        Assert.DoesNotContain("unsupported compression method", error.Message); // .NET's words for any damage
    }

    [Fact]
    public void ReportsABadFilterTypeWithItsRow()
    {
        byte[] ihdr = PngTestWriter.Write(1, 2, 8, 0, 1, [1, 2])[16..29];
        byte[] png = PngTestWriter.Assemble([("IHDR", ihdr), ("IDAT", PngTestWriter.Zlib([0, 1, 7, 2])), ("IEND", [])]);
        ErrorAssert.Throws(() => PngDecoder.Decode(png, "f.png"), "f.png", "bad filter type 7 on row 1");
    }

    [Fact]
    public void ReportsBadHeadersAndPalettes()
    {
        byte[] ihdr = PngTestWriter.Write(1, 1, 8, 0, 1, [1])[16..29];
        ihdr[9] = 2; // RGB
        ihdr[8] = 4; // at 4 bits: not allowed
        byte[] idat = PngTestWriter.Zlib([0, 0]);
        ErrorAssert.Throws(() => PngDecoder.Decode(PngTestWriter.Assemble([("IHDR", ihdr), ("IDAT", idat), ("IEND", [])]), "h.png"), "h.png",
            "colour type 2 with bit depth 4");

        byte[] palette = PngTestWriter.Write(2, 1, 8, 3, 1, [0, 2], palette: [1, 2, 3, 4, 5, 6]);
        ErrorAssert.Throws(() => PngDecoder.Decode(palette, "p.png"), "p.png", "palette index 2", "2 entries");

        byte[] noPalette = PngTestWriter.Write(1, 1, 8, 3, 1, [0]);
        ErrorAssert.Throws(() => PngDecoder.Decode(noPalette, "n.png"), "n.png", "missing PLTE");
    }

    [Fact]
    public void ImageDecoderDispatchesOnContentAndReportsUnknownFormats()
    {
        using var folder = new TempFolder();
        string png = folder.Write("really-a-png.ppm", PngTestWriter.Write(1, 1, 8, 0, 1, [9]));
        Assert.Equal([9], ImageDecoder.Load(png).Pixels);

        string jpeg = folder.Write("photo.png", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);
        ErrorAssert.Throws(() => ImageDecoder.Load(jpeg), jpeg, "not an image in a supported format", "0xFFD8FFE00010");

        string empty = folder.Write("empty.png", []);
        ErrorAssert.Throws(() => ImageDecoder.Load(empty), empty, "empty");

        string missing = Path.Combine(folder.Path, "none.png");
        ErrorAssert.Throws(() => ImageDecoder.Load(missing), missing, "does not exist");
    }
}
