namespace Engine.Core.Tests.Data;

/// <summary>Each transform's deterministic kernel on tiny images, against outputs worked out by hand.</summary>
public sealed class TransformTests
{
    // 1×2×3:  1 2 3 / 4 5 6
    private static readonly Shape TwoByThree = new(1, 2, 3);

    [Fact]
    public void FlipMirrorsEachRow()
    {
        float[] image = [1, 2, 3, 4, 5, 6];
        HorizontalFlip.Flip(image, TwoByThree);
        Assert.Equal([3f, 2, 1, 6, 5, 4], image);
    }

    [Fact]
    public void FlipWithProbabilityOneAlwaysFlipsAndZeroNever()
    {
        var random = new SampleRandom(5);
        float[] image = [1, 2, 3, 4, 5, 6];
        new HorizontalFlip(1).Apply(image, TwoByThree, ref random);
        Assert.Equal([3f, 2, 1, 6, 5, 4], image);
        new HorizontalFlip(0).Apply(image, TwoByThree, ref random);
        Assert.Equal([3f, 2, 1, 6, 5, 4], image);
    }

    [Fact]
    public void CropFromThePaddedImageFillsWithZeros()
    {
        // Padding 1 makes a 4×5 image; the 2×3 window at (0, 2) covers the zero top row, then 2 3 0.
        var output = new float[6];
        RandomCrop.Crop([1, 2, 3, 4, 5, 6], output, TwoByThree, padding: 1, top: 0, left: 2);
        Assert.Equal([0f, 0, 0, 2, 3, 0], output);

        RandomCrop.Crop([1, 2, 3, 4, 5, 6], output, TwoByThree, padding: 1, top: 2, left: 0);
        Assert.Equal([0f, 4, 5, 0, 0, 0], output);
    }

    [Fact]
    public void RandomCropOnlyEverShiftsWithinThePadding()
    {
        var shape = new Shape(1, 1, 5);
        var seen = new HashSet<string>();
        for (ulong s = 0; s < 200; s++)
        {
            float[] image = [1, 2, 3, 4, 5];
            var random = new SampleRandom(s);
            new RandomCrop(1).Apply(image, shape, ref random);
            seen.Add(string.Join(" ", image));
        }
        // Shift left, none, right (the single row means vertical shifts give zeros or the original).
        Assert.Contains("2 3 4 5 0", seen);
        Assert.Contains("1 2 3 4 5", seen);
        Assert.Contains("0 1 2 3 4", seen);
        Assert.Contains("0 0 0 0 0", seen);
        Assert.Equal(4, seen.Count);
    }

    [Fact]
    public void RotateByNinetyDegreesTurnsASquareAnticlockwise()
    {
        var shape = new Shape(1, 3, 3);
        var output = new float[9];
        RandomRotation.Rotate([1, 2, 3, 4, 5, 6, 7, 8, 9], output, shape, 90);
        Assert.Equal([3f, 6, 9, 2, 5, 8, 1, 4, 7], output);

        var even = new float[4];
        RandomRotation.Rotate([1, 2, 3, 4], even, new Shape(1, 2, 2), 90);
        Assert.Equal([2f, 4, 1, 3], even);
    }

    [Fact]
    public void RotateByFortyFiveDegreesInterpolatesTheCorners()
    {
        // A 3×3 image of ones turned 45°: the corners (offset √2 from the centre) sample at distance
        // √2 along an axis, i.e. (1.414, 0) from the centre: 1 − 0.414 of an edge pixel inside, the rest outside.
        var output = new float[9];
        RandomRotation.Rotate(Enumerable.Repeat(1f, 9).ToArray(), output, new Shape(1, 3, 3), 45);
        float corner = (float)(2 - Math.Sqrt(2));
        Assert.Equal(corner, output[0], 5);
        Assert.Equal(1f, output[4], 6);
        Assert.Equal(1f, output[1], 5); // edge midpoints map to (±0.707, ∓0.707): all four neighbours inside
    }

    [Fact]
    public void TranslateByWholePixelsShiftsAndZeroFills()
    {
        var output = new float[6];
        RandomTranslation.Translate([1, 2, 3, 4, 5, 6], output, TwoByThree, dx: 1, dy: 0);
        Assert.Equal([0f, 1, 2, 0, 4, 5], output);

        RandomTranslation.Translate([1, 2, 3, 4, 5, 6], output, TwoByThree, dx: -2, dy: 1);
        Assert.Equal([0f, 0, 0, 3, 0, 0], output);
    }

    [Fact]
    public void TranslateByHalfAPixelAverages()
    {
        var output = new float[3];
        RandomTranslation.Translate([2, 4, 6], output, new Shape(1, 1, 3), dx: 0.5, dy: 0);
        Assert.Equal([1f, 3, 5], output);
    }

    [Fact]
    public void ShearOfFortyFiveDegreesMovesRowsBelowTheCentreRight()
    {
        var output = new float[9];
        RandomShear.Shear([1, 2, 3, 4, 5, 6, 7, 8, 9], output, new Shape(1, 3, 3), 45);
        Assert.Equal([2f, 3, 0, 4, 5, 6, 0, 7, 8], output);
    }

    [Fact]
    public void NormalizeUsesEachChannelsMeanAndStd()
    {
        float[] image = [0.5f, 1.0f, 0.2f, 0.6f];
        var random = new SampleRandom(0);
        new Normalization([0.5, 0.4], [0.25, 0.2]).Apply(image, new Shape(2, 1, 2), ref random);
        Assert.Equal(0f, image[0], 6);
        Assert.Equal(2f, image[1], 6);
        Assert.Equal(-1f, image[2], 6);
        Assert.Equal(1f, image[3], 6);
    }

    [Fact]
    public void BrightnessMultipliesAndClamps()
    {
        float[] image = [0.2f, 0.5f, 0.8f];
        ColorJitter.AdjustBrightness(image, 1.5f);
        Assert.Equal(0.3f, image[0], 6);
        Assert.Equal(0.75f, image[1], 6);
        Assert.Equal(1f, image[2], 6);
    }

    [Fact]
    public void ContrastPullsTowardsTheMean()
    {
        float[] image = [0f, 1f];
        ColorJitter.AdjustContrast(image, new Shape(1, 1, 2), 0.5f);
        Assert.Equal([0.25f, 0.75f], image);
    }

    [Fact]
    public void SaturationZeroGivesTheLumaGrey()
    {
        float[] image = [1f, 0f, 0f]; // one red pixel, planes R, G, B
        ColorJitter.AdjustSaturation(image, new Shape(3, 1, 1), 0f);
        Assert.All(image, v => Assert.Equal(0.299f, v, 6));
    }

    [Fact]
    public void JitterDrawsTheBrightnessFactorFromItsStream()
    {
        var shape = new Shape(1, 1, 2);
        float[] image = [0.5f, 0.25f];
        var random = new SampleRandom(42);
        new ColorJitter(0.2, 0, 0).Apply(image, shape, ref random);

        var replay = new SampleRandom(42);
        double factor = replay.Uniform(0.8, 1.2);
        Assert.InRange(factor, 0.8, 1.2);
        Assert.Equal((float)(0.5 * factor), image[0], 6);
        Assert.Equal((float)(0.25 * factor), image[1], 6);
    }

    [Fact]
    public void ResizedCropOfTheWholeImageIsTheIdentity()
    {
        var shape = new Shape(2, 3, 3);
        float[] image = Enumerable.Range(0, 18).Select(v => (float)v).ToArray();
        float[] copy = [.. image];
        var random = new SampleRandom(9);
        new RandomResizedCrop(1, 1, 1, 1).Apply(image, shape, ref random);
        Assert.Equal(copy, image);
    }

    [Fact]
    public void ResizedCropRegionsRespectScaleAndRatio()
    {
        var crop = new RandomResizedCrop(0.25, 0.5, 0.5, 2);
        for (ulong s = 0; s < 100; s++)
        {
            var random = new SampleRandom(s);
            var (top, left, h, w) = crop.ChooseRegion(32, 32, ref random);
            Assert.InRange(h * w, 0.2 * 1024, 0.55 * 1024);
            Assert.InRange(top + h, 1, 32);
            Assert.InRange(left + w, 1, 32);
            Assert.InRange((double)w / h, 0.45, 2.2);
        }
    }

    [Fact]
    public void TenCropGivesCornersCentreAndMirrors()
    {
        var crops = new float[40];
        TenCrop.Extract([1, 2, 3, 4, 5, 6, 7, 8, 9], new Shape(1, 3, 3), 2, 2, crops);
        float[][] expected =
        [
            [1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9], [1, 2, 4, 5],
            [2, 1, 5, 4], [3, 2, 6, 5], [5, 4, 8, 7], [6, 5, 9, 8], [2, 1, 5, 4],
        ];
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal(expected[k], crops[(4 * k)..(4 * k + 4)]);
        }
    }
}
