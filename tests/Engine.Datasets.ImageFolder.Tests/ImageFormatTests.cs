using Engine.Imaging;

namespace Engine.Datasets.ImageFolder.Tests;

/// <summary>
/// The formats beyond PNG, on real MNIST digits: JPEG (grey, EXIF orientation), WebP, BMP and GIF
/// decode to the pixels of the PNG of the same image (the lossless ones exactly), and enormous,
/// truncated or corrupt files give one line naming the file.
/// </summary>
public sealed class ImageFormatTests
{
    private static readonly byte[][] Digits = TestImageFiles.MnistDigits(4);

    // The grey value of every pixel: one channel, or colour channels that must all be equal (alpha, if any, opaque).
    private static byte[] GreyOf(DecodedImage image)
    {
        var grey = new byte[image.Width * image.Height];
        for (int p = 0; p < grey.Length; p++)
        {
            int at = p * image.Channels;
            grey[p] = image.Pixels[at];
            if (image.ColourChannels == 3)
            {
                Assert.Equal(grey[p], image.Pixels[at + 1]);
                Assert.Equal(grey[p], image.Pixels[at + 2]);
            }
            if (image.HasAlpha)
            {
                Assert.Equal(255, image.Pixels[at + image.Channels - 1]);
            }
        }
        return grey;
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();

    [Fact]
    public void LosslessWebpBmpAndGifDecodeToExactlyThePixelsOfThePng()
    {
        foreach (byte[] digit in Digits)
        {
            var image = new DecodedImage(28, 28, 1, digit);
            byte[] fromPng = GreyOf(ImageDecoder.Decode(ImageEncoder.Encode(image), "d.png"));
            Assert.Equal(digit, fromPng);

            Assert.Equal(fromPng, GreyOf(ImageDecoder.Decode(ImageEncoder.Encode(image, ImageFileFormat.WebpLossless), "d.webp")));
            Assert.Equal(fromPng, GreyOf(ImageDecoder.Decode(TestImageFiles.GreyBmp(28, 28, digit), "d.bmp")));
            Assert.Equal(fromPng, GreyOf(ImageDecoder.Decode(TestImageFiles.GreyGif(28, 28, digit), "d.gif")));
        }
    }

    [Fact]
    public void LossyJpegAndWebpDecodeCloseToThePng()
    {
        foreach (byte[] digit in Digits)
        {
            var image = new DecodedImage(28, 28, 1, digit);
            DecodedImage jpeg = ImageDecoder.Decode(ImageEncoder.Encode(image, ImageFileFormat.Jpeg, 95), "d.jpg");
            Assert.Equal((28, 28, 1), (jpeg.Width, jpeg.Height, jpeg.Channels)); // a grey JPEG stays one channel
            Assert.InRange(MeanAbsoluteDifference(digit, jpeg.Pixels), 0.01, 3.0); // lossy, yet close

            // Lossy WebP codes colour as YUV, so its R, G and B may differ slightly: compare the luma.
            float[] luma = ImageConversion.ToPlanarFloats(ImageDecoder.Decode(ImageEncoder.Encode(image, ImageFileFormat.Webp, 95), "d.webp"), 1);
            byte[] webp = [.. luma.Select(v => (byte)Math.Round(v * 255))];
            Assert.InRange(MeanAbsoluteDifference(digit, webp), 0.01, 8.0);
        }
    }

    [Fact]
    public void ColourJpegKeepsItsColours()
    {
        // 16×8: left half pure red, right half pure blue, on 8×8 blocks so JPEG keeps them nearly exact.
        var rgb = new byte[16 * 8 * 3];
        for (int p = 0; p < 16 * 8; p++)
        {
            bool left = p % 16 < 8;
            rgb[3 * p] = (byte)(left ? 255 : 0);
            rgb[3 * p + 2] = (byte)(left ? 0 : 255);
        }
        DecodedImage jpeg = ImageDecoder.Decode(ImageEncoder.Encode(new DecodedImage(16, 8, 3, rgb), ImageFileFormat.Jpeg, 100), "c.jpg");
        Assert.Equal(3, jpeg.Channels);
        Assert.InRange(MeanAbsoluteDifference(rgb, jpeg.Pixels), 0, 4.0);
        Assert.True(jpeg[2, 2, 0] > 240 && jpeg[2, 2, 2] < 15, $"left pixel {jpeg[2, 2, 0]},{jpeg[2, 2, 1]},{jpeg[2, 2, 2]}");
        Assert.True(jpeg[13, 5, 2] > 240 && jpeg[13, 5, 0] < 15, $"right pixel {jpeg[13, 5, 0]},{jpeg[13, 5, 1]},{jpeg[13, 5, 2]}");
    }

    // A 24×16 grey image of six 8×8 blocks, each its own level (JPEG codes flat 8×8 blocks nearly exactly).
    private static byte[] Blocks()
    {
        var grey = new byte[24 * 16];
        for (int y = 0; y < 16; y++)
        {
            for (int x = 0; x < 24; x++)
            {
                grey[y * 24 + x] = (byte)(20 + 40 * (x / 8 + 3 * (y / 8)));
            }
        }
        return grey;
    }

    [Theory]
    [InlineData(1, 24, 16)]
    [InlineData(3, 24, 16)]
    [InlineData(6, 16, 24)]
    [InlineData(8, 16, 24)]
    public void AnExifOrientedJpegDecodesUpright(ushort orientation, int width, int height)
    {
        byte[] stored = Blocks();
        byte[] jpeg = TestImageFiles.WithExifOrientation(ImageEncoder.Encode(new DecodedImage(24, 16, 1, stored), ImageFileFormat.Jpeg, 100), orientation);

        DecodedImage image = ImageDecoder.Decode(jpeg, "photo.jpg");

        Assert.Equal((width, height), (image.Width, image.Height));
        // How a viewer shows the stored rows: 3 turns half way, 6 a quarter clockwise, 8 a quarter anticlockwise.
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte expected = orientation switch
                {
                    3 => stored[(15 - y) * 24 + (23 - x)],
                    6 => stored[(15 - x) * 24 + y],
                    8 => stored[x * 24 + (23 - y)],
                    _ => stored[y * 24 + x],
                };
                Assert.True(Math.Abs(expected - image[x, y, 0]) <= 3, $"orientation {orientation}, pixel ({x}, {y}): {image[x, y, 0]}, expected {expected}");
            }
        }
        Assert.Equal(orientation switch { 1 => 20, 3 => 220, 6 => 140, _ => 100 }, image[0, 0, 0], 3.0); // the shown top-left block
    }

    [Fact]
    public void AnEnormousJpegIsRefusedFromItsHeader()
    {
        byte[] jpeg = ImageEncoder.Encode(new DecodedImage(28, 28, 1, Digits[0]), ImageFileFormat.Jpeg, 90);
        // The frame header (SOF0, FF C0): length, precision, then height and width, big-endian.
        int sof = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0);
        jpeg[sof + 5] = 0xEA;
        jpeg[sof + 6] = 0x60; // height 60000
        jpeg[sof + 7] = 0xEA;
        jpeg[sof + 8] = 0x60; // width 60000

        ErrorAssert.Throws(() => ImageDecoder.Decode(jpeg, "big.jpg"), "big.jpg", "JPEG image declares 60000x60000 pixels (3,600,000,000)", "67,108,864", "refused before decoding");
    }

    [Fact]
    public void TruncatedAndCorruptJpegsAreNamed()
    {
        byte[] jpeg = ImageEncoder.Encode(new DecodedImage(28, 28, 1, Digits[1]), ImageFileFormat.Jpeg, 90);
        ErrorAssert.Throws(() => ImageDecoder.Decode(jpeg[..(jpeg.Length * 2 / 3)], "cut.jpg"), "cut.jpg", "truncated", "JPEG");
        ErrorAssert.Throws(() => ImageDecoder.Decode(jpeg[..40], "head.jpg"), "head.jpg", "JPEG");

        byte[] garbage = [.. jpeg[..2], .. Enumerable.Repeat((byte)0x5A, 200)];
        ErrorAssert.Throws(() => ImageDecoder.Decode(garbage, "bad.jpg"), "bad.jpg", "JPEG");
    }
}
