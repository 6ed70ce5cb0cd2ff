namespace Engine.Features.Classical.Tests;

/// <summary>
/// HOG on a 5×5 ramp f(y, x) = 0.1·(x + y), cells of 2 pixels, one block of 2×2 cells, worked by hand:
/// interior pixels have gradient (0.2, 0.2), 45° (bin 2 of 9), magnitude 0.2√2; the top row (not its
/// corner) has gx = 0.2 only, 0° (bin 0); the left column gy = 0.2 only, 90° (bin 4); the corner none.
/// Cell histograms (sum / 4 pixels): cell (0,0) bins 0, 2, 4 = 0.05, 0.0707, 0.05; cell (0,1) bins
/// 0, 2 = 0.1, 0.1414; cell (1,0) bins 2, 4 = 0.1414, 0.1; cell (1,1) bin 2 = 0.2828. Their squares
/// sum to 0.15. scikit-image 0.19.3 prints the same numbers for this image.
/// </summary>
public sealed class HogTests
{
    private static readonly float[] Ramp = Enumerable.Range(0, 25).Select(i => 0.1f * ((i % 5) + (i / 5))).ToArray();

    [Fact]
    public void L2_normalised_block_of_a_ramp_matches_the_hand_computation()
    {
        float[] f = Compute(BlockNorm.L2);
        double norm = Math.Sqrt(0.15);
        AssertBins(f, 0, (0, 0.05 / norm), (2, 0.05 * Math.Sqrt(2) / norm), (4, 0.05 / norm));
        AssertBins(f, 1, (0, 0.1 / norm), (2, 0.1 * Math.Sqrt(2) / norm));
        AssertBins(f, 2, (2, 0.1 * Math.Sqrt(2) / norm), (4, 0.1 / norm));
        AssertBins(f, 3, (2, 0.2 * Math.Sqrt(2) / norm));
    }

    [Fact]
    public void L2_Hys_clips_at_0_2_and_renormalises()
    {
        // After L2: 0.1291, 0.1826, 0.1291 | 0.2582, 0.3651 | 0.3651, 0.2582 | 0.7303; clipped, five values
        // are 0.2 and the squares sum to 1/60 + 1/30 + 1/60 + 5·0.04 = 0.26667, so 0.2 becomes 0.3873
        // and 0.1291 becomes exactly 0.25.
        float[] f = Compute(BlockNorm.L2Hys);
        double second = Math.Sqrt(0.26666666666666666);
        AssertBins(f, 0, (0, 0.25), (2, Math.Sqrt(1 / 30.0) / second), (4, 0.25));
        AssertBins(f, 1, (0, 0.2 / second), (2, 0.2 / second));
        AssertBins(f, 2, (2, 0.2 / second), (4, 0.2 / second));
        AssertBins(f, 3, (2, 0.2 / second));
    }

    [Fact]
    public void L1_and_L1_sqrt_divide_by_the_sum()
    {
        double sum = 0.05 + (0.05 * Math.Sqrt(2)) + 0.05 + 0.1 + (0.1 * Math.Sqrt(2)) + (0.1 * Math.Sqrt(2)) + 0.1 + (0.2 * Math.Sqrt(2)) + 1e-5;
        float[] l1 = Compute(BlockNorm.L1);
        AssertBins(l1, 3, (2, 0.2 * Math.Sqrt(2) / sum));
        AssertBins(l1, 0, (0, 0.05 / sum), (2, 0.05 * Math.Sqrt(2) / sum), (4, 0.05 / sum));
        float[] sqrt = Compute(BlockNorm.L1Sqrt);
        AssertBins(sqrt, 3, (2, Math.Sqrt(0.2 * Math.Sqrt(2) / sum)));
        AssertBins(sqrt, 1, (0, Math.Sqrt(0.1 / sum)), (2, Math.Sqrt(0.1 * Math.Sqrt(2) / sum)));
    }

    [Fact]
    public void Blocks_overlap_by_stepping_one_cell_and_leftover_pixels_are_ignored()
    {
        var options = new HogOptions(Orientations: 4, Cell: 3, Block: 2, Norm: BlockNorm.L2);
        // 11×8: 3×2 cells (two rows and two columns of pixels left over), 2×1 blocks of 2×2 cells of 4 bins.
        Assert.Equal(2 * 1 * 2 * 2 * 4, options.FeatureCount(11, 8));
        var features = new float[options.FeatureCount(11, 8)];
        float[] image = Enumerable.Range(0, 88).Select(i => (float)((i * 37) % 11) / 11).ToArray();
        HogDescriptor.Compute(image, 11, 8, options, features);
        // Cell row 1 is in block 0 (its cells 2 and 3, values 8–15) and block 1 (its cells 0 and 1,
        // values 16–23): the same histograms under two L2 norms, so one ratio holds throughout.
        double[] ratios = Enumerable.Range(0, 8).Where(b => features[16 + b] > 1e-3).Select(b => (double)features[8 + b] / features[16 + b]).ToArray();
        Assert.True(ratios.Length >= 4, $"only {ratios.Length} nonzero bins");
        Assert.All(ratios, r => Assert.Equal(ratios[0], r, 4));
        Assert.NotEqual(1.0, ratios[0], 3);
    }

    [Fact]
    public void Too_small_an_image_is_refused_naming_the_numbers()
    {
        var e = Assert.Throws<ShapeException>(() => new HogOptions(Cell: 8, Block: 2).Check(12, 28, "hog"));
        Assert.Equal("hog: a 12×28 image has 1×3 cells of 8 pixels, fewer than one block of 2×2 cells", e.Message);
    }

    [Fact]
    public void The_layer_makes_colour_grey_with_the_luma_weights()
    {
        using IBackend backend = Layers.CreateBackend();
        using ILayer layer = Layers.Build(backend, "hog", """{"cell": 2, "block": 2, "block_norm": "l2"}""", new Shape(3, 5, 5));
        Assert.Equal(new Shape(36), layer.InferOutputShape(new Shape(3, 5, 5)));
        // Red = ramp / 0.299, green and blue 0: grey is the ramp again (to float rounding).
        float[] rgb = [.. Ramp.Select(v => v / Grey.R), .. new float[50]];
        float[] features = Layers.Forward(backend, layer, new Shape(1, 3, 5, 5), rgb);
        float[] expected = Compute(BlockNorm.L2);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], features[i], 5);
        }
    }

    [Theory]
    [InlineData(BlockNorm.L2Hys)]
    [InlineData(BlockNorm.L2)]
    [InlineData(BlockNorm.L1)]
    [InlineData(BlockNorm.L1Sqrt)]
    public void Backward_matches_central_differences(BlockNorm norm)
    {
        // A smooth random-looking 9×10 image, cells of 3, blocks of 2: every pixel's bin stays put under ±1e-6.
        var options = new HogOptions(Orientations: 7, Cell: 3, Block: 2, Norm: norm);
        double[] image = Enumerable.Range(0, 90).Select(i => 0.5 + (0.4 * Math.Sin((1.7 * i) + (0.3 * i * i)))).ToArray();
        int count = options.FeatureCount(9, 10);
        double[] weights = Enumerable.Range(0, count).Select(i => Math.Cos(0.9 * i)).ToArray();
        double Loss(double[] x)
        {
            var f = new double[count];
            HogDescriptor.Compute(x, 9, 10, options, f, float32Gradients: false);
            return f.Zip(weights, (a, b) => a * b).Sum();
        }
        var analytic = new double[90];
        HogDescriptor.Backward(image, 9, 10, options, weights, analytic);
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-2);
        for (int i = 0; i < 90; i++)
        {
            double saved = image[i];
            image[i] = saved + 1e-6;
            double plus = Loss(image);
            image[i] = saved - 1e-6;
            double minus = Loss(image);
            image[i] = saved;
            Assert.True(Math.Abs(((plus - minus) / 2e-6) - analytic[i]) < 1e-5, $"pixel {i}: numeric {(plus - minus) / 2e-6} vs backward {analytic[i]}");
        }
    }

    private static float[] Compute(BlockNorm norm)
    {
        var options = new HogOptions(Orientations: 9, Cell: 2, Block: 2, Norm: norm);
        var features = new float[options.FeatureCount(5, 5)];
        Assert.Equal(36, features.Length);
        HogDescriptor.Compute(Ramp, 5, 5, options, features);
        return features;
    }

    // Cell k's nine bins: the listed ones equal their values (to 1e-6), the others are 0.
    private static void AssertBins(float[] features, int cell, params (int Bin, double Value)[] nonzero)
    {
        for (int bin = 0; bin < 9; bin++)
        {
            double expected = nonzero.FirstOrDefault(p => p.Bin == bin).Value;
            Assert.True(Math.Abs(features[(cell * 9) + bin] - expected) < 1e-6, $"cell {cell} bin {bin}: {features[(cell * 9) + bin]} ≠ {expected}");
        }
    }
}
