using Engine.Imaging;

namespace Engine.Datasets.ImageFolder.Tests;

/// <summary>
/// PNG through <see cref="ImageDecoder"/> (SkiaSharp's codec): every colour type, bit depth, filter
/// and interlace comes out as the engine's 8-bit samples, and damaged files give one line naming them.
/// </summary>
public sealed class PngDecodingTests
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

    // Sixteen-bit samples are reduced to eight bits by the codec; it may truncate where the engine rounded.
    private static void AssertSamples(IEnumerable<byte> expected, byte[] actual, int depth)
    {
        byte[] wanted = [.. expected];
        Assert.Equal(wanted.Length, actual.Length);
        int tolerance = depth == 16 ? 1 : 0;
        for (int i = 0; i < wanted.Length; i++)
        {
            Assert.True(Math.Abs(wanted[i] - actual[i]) <= tolerance, $"sample {i}: {actual[i]}, expected {wanted[i]}");
        }
    }

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

        DecodedImage image = ImageDecoder.Decode(png, "f.png");

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

        DecodedImage image = ImageDecoder.Decode(png, "g.png");

        Assert.Equal(1, image.Channels);
        AssertSamples(samples.Select(v => To8Bit(v, depth)), image.Pixels, depth);
    }

    [Fact]
    public void ScalesTwoBitGreyToTheFullRange()
    {
        byte[] png = PngTestWriter.Write(4, 1, 2, 0, 1, [0, 1, 2, 3]);
        Assert.Equal([0, 85, 170, 255], ImageDecoder.Decode(png, "g2.png").Pixels);
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

        DecodedImage image = ImageDecoder.Decode(png, "p.png");

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

        DecodedImage image = ImageDecoder.Decode(png, "a.png");

        // Grey with alpha comes out as RGBA, the grey repeated: Skia has no two-channel pixel format.
        byte[] expected = [.. samples.Select(v => To8Bit(v, depth))];
        if (colourType == 4)
        {
            expected = [.. expected.Chunk(2).SelectMany(ga => new[] { ga[0], ga[0], ga[0], ga[1] })];
        }
        Assert.Equal(colourType == 2 ? 3 : 4, image.Channels);
        AssertSamples(expected, image.Pixels, depth);
    }

    [Theory]
    [InlineData(2, 3, 8, 9, 7)]
    [InlineData(0, 1, 1, 13, 11)]
    [InlineData(6, 4, 8, 3, 2)]
    [InlineData(0, 1, 8, 1, 1)]
    public void DecodesAdam7InterlacedImages(int colourType, int samplesPerPixel, int depth, int width, int height)
    {
        int[] samples = Samples(width * height * samplesPerPixel, depth, width);
        byte[] plain = PngTestWriter.Write(width, height, depth, colourType, samplesPerPixel, samples);
        byte[] interlaced = PngTestWriter.Write(width, height, depth, colourType, samplesPerPixel, samples, interlace: true);

        DecodedImage image = ImageDecoder.Decode(interlaced, "i.png");

        Assert.Equal(samples.Select(v => To8Bit(v, depth)), image.Pixels);
        Assert.Equal(ImageDecoder.Decode(plain, "p.png").Pixels, image.Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void ReadsWhatImageEncoderWrites(int channels)
    {
        byte[] pixels = Enumerable.Range(0, 4 * 3 * channels).Select(i => (byte)(i * 5)).ToArray();
        DecodedImage image = ImageDecoder.Decode(ImageEncoder.Encode(new DecodedImage(4, 3, channels, pixels)), "e.png");
        Assert.Equal(channels, image.Channels);
        Assert.Equal(pixels, image.Pixels);
        Assert.Equal(5 * channels, image[1, 0, 0]); // pixel 1 starts at byte `channels`
    }

    [Fact]
    public void IgnoresAncillaryChunks()
    {
        byte[] header = PngTestWriter.Write(1, 1, 8, 0, 1, [200]);
        // Rebuild with a tEXt chunk between IHDR and IDAT.
        byte[] ihdr = header[16..29];
        byte[] idat = PngTestWriter.Zlib([0, 200]);
        byte[] png = PngTestWriter.Assemble([("IHDR", ihdr), ("tEXt", "Comment\0hi"u8.ToArray()), ("IDAT", idat), ("IEND", [])]);
        Assert.Equal([200], ImageDecoder.Decode(png, "t.png").Pixels);
    }

    [Fact]
    public void AnEnormousDeclaredSizeIsRefusedBeforeDecoding()
    {
        // 100000×1000 grey: ten times the pixel limit, in a file of a few dozen bytes.
        byte[] ihdr = PngTestWriter.Write(1, 1, 8, 0, 1, [1])[16..29];
        ihdr[0] = 0;
        ihdr[1] = 0x01;
        ihdr[2] = 0x86;
        ihdr[3] = 0xA0; // width 100000
        ihdr[6] = 0x03;
        ihdr[7] = 0xE8; // height 1000
        byte[] png = PngTestWriter.Assemble([("IHDR", ihdr), ("IDAT", PngTestWriter.Zlib([0, 1])), ("IEND", [])]);
        var error = ErrorAssert.Throws(() => ImageDecoder.Decode(png, "huge.png"), "huge.png", "PNG image declares 100000x1000 pixels", "100,000,000", "refused before decoding");
        Assert.StartsWith("huge.png: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DamagedFilesGiveOneLineNamingThem()
    {
        byte[] png = PngTestWriter.Write(16, 16, 8, 2, 3, Samples(16 * 16 * 3, 8, 1));
        ErrorAssert.Throws(() => ImageDecoder.Decode(png[..(png.Length / 2)], "cut.png"), "cut.png", "truncated", "PNG");
        ErrorAssert.Throws(() => ImageDecoder.Decode(png[..20], "header.png"), "header.png", "PNG");

        byte[] ihdr = PngTestWriter.Write(1, 2, 8, 0, 1, [1, 2])[16..29];
        byte[] badFilter = PngTestWriter.Assemble([("IHDR", ihdr), ("IDAT", PngTestWriter.Zlib([0, 1, 7, 2])), ("IEND", [])]);
        var error = ErrorAssert.Throws(() => ImageDecoder.Decode(badFilter, "f.png"), "f.png", "PNG");
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ImageDecoderDispatchesOnContentAndReportsUnknownFormats()
    {
        using var folder = new TempFolder();
        string png = folder.Write("really-a-png.ppm", PngTestWriter.Write(1, 1, 8, 0, 1, [9]));
        Assert.Equal([9], ImageDecoder.Load(png).Pixels);

        string text = folder.Write("photo.png", "hello, world"u8.ToArray());
        ErrorAssert.Throws(() => ImageDecoder.Load(text), text, "not an image in a supported format (JPEG, PNG, WebP, BMP, GIF, PGM/PPM", "0x68656C6C6F2C2077");

        string jpeg = folder.Write("cut.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);
        ErrorAssert.Throws(() => ImageDecoder.Load(jpeg), jpeg, "JPEG");

        string empty = folder.Write("empty.png", []);
        ErrorAssert.Throws(() => ImageDecoder.Load(empty), empty, "empty");

        string missing = Path.Combine(folder.Path, "none.png");
        ErrorAssert.Throws(() => ImageDecoder.Load(missing), missing, "does not exist");
    }
}
