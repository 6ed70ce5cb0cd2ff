using System.Text;
using Engine.Imaging;

namespace Engine.Datasets.ImageFolder.Tests;

public sealed class NetpbmDecoderTests
{
    private static DecodedImage Decode(string text) => ImageDecoder.Decode(Encoding.ASCII.GetBytes(text), "t.pnm");

    [Fact]
    public void ReadsPlainPgmWithComments()
    {
        DecodedImage image = Decode("P2\n# a comment\n3 2 # width height\n255\n0 1 2\n253 254 255\n");
        Assert.Equal((3, 2, 1), (image.Width, image.Height, image.Channels));
        Assert.Equal([0, 1, 2, 253, 254, 255], image.Pixels);
    }

    [Fact]
    public void ReadsPlainPpmAndRescalesItsMaxval()
    {
        // maxval 15: round(v·255/15) = 17·v.
        DecodedImage image = Decode("P3 2 1 15  15 0 7  1 2 3");
        Assert.Equal(3, image.Channels);
        Assert.Equal([255, 0, 119, 17, 34, 51], image.Pixels);
    }

    [Fact]
    public void ReadsBinaryPgmAndPpm()
    {
        byte[] pgm = [.. "P5 2 2 255\n"u8, 10, 20, 30, 40];
        Assert.Equal([10, 20, 30, 40], ImageDecoder.Decode(pgm, "b.pgm").Pixels);

        byte[] ppm = [.. "P6\n1 2\n255\n"u8, 1, 2, 3, 4, 5, 6];
        DecodedImage image = ImageDecoder.Decode(ppm, "b.ppm");
        Assert.Equal((1, 2, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal([1, 2, 3, 4, 5, 6], image.Pixels);
    }

    [Fact]
    public void ReadsSixteenBitBinarySamplesBigEndian()
    {
        // 65535 → 255, 0x8000 = 32768 → round(32768·255/65535) = 128, 257 → 1.
        byte[] pgm = [.. "P5 3 1 65535\n"u8, 0xFF, 0xFF, 0x80, 0x00, 0x01, 0x01];
        Assert.Equal([255, 128, 1], ImageDecoder.Decode(pgm, "w.pgm").Pixels);
    }

    [Fact]
    public void ReportsTruncatedBinaryData()
    {
        byte[] ppm = [.. "P6 2 2 255\n"u8, 1, 2, 3];
        ErrorAssert.Throws(() => ImageDecoder.Decode(ppm, "cut.ppm"), "cut.ppm", "truncated", "needs 12 bytes", "holds 3");
    }

    [Fact]
    public void ReportsPlainDataThatEndsEarly() =>
        ErrorAssert.Throws(() => Decode("P2 2 2 255 1 2 3"), "t.pnm", "truncated", "sample 3 of 4");

    [Fact]
    public void ReportsASampleAboveTheMaxval() =>
        ErrorAssert.Throws(() => Decode("P2 2 1 10 5 11"), "t.pnm", "sample 1 is 11", "maxval 10");

    [Theory]
    [InlineData("P2 2 x 255", "height", "'x'")]
    [InlineData("P5 2 2 70000\n", "maxval 70000")]
    [InlineData("P5 0 2 255\n", "image size 0x2")]
    public void ReportsBadHeaders(string text, params string[] keywords) =>
        ErrorAssert.Throws(() => Decode(text), "t.pnm", keywords);
}
