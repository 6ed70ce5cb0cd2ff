using System.Text;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>engine features hog</c> against scikit-image: the fixtures in Fixtures/ were written by
/// <c>skimage.feature.hog</c> 0.19.3 (make_hog_fixtures.py beside them) for MNIST digits, random images
/// of odd size and colour images made grey with the luma weights.
/// </summary>
public sealed class FeaturesCommandTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "Engine.Cli.Tests", "Fixtures", name);

    [Theory]
    [InlineData("hog_mnist_input.npy", "hog_mnist_o9_c8_b2_l2hys.npy", 9, 8, 2, "l2-hys")]
    [InlineData("hog_mnist_input.npy", "hog_mnist_o9_c4_b2_l2hys.npy", 9, 4, 2, "l2-hys")]
    [InlineData("hog_mnist_input.npy", "hog_mnist_o8_c7_b1_l1.npy", 8, 7, 1, "l1")]
    [InlineData("hog_mnist_input.npy", "hog_mnist_o12_c5_b3_l1sqrt.npy", 12, 5, 3, "l1-sqrt")]
    [InlineData("hog_mnist_input.npy", "hog_mnist_o6_c6_b2_l2.npy", 6, 6, 2, "l2")]
    [InlineData("hog_random_input.npy", "hog_random_o9_c4_b2_l2hys.npy", 9, 4, 2, "l2-hys")]
    [InlineData("hog_rgb_input.npy", "hog_rgb_o9_c4_b2_l2hys.npy", 9, 4, 2, "l2-hys")]
    public void Hog_equals_scikit_image_within_1e_4(string input, string expected, int orientations, int cell, int block, string norm)
    {
        string output = TrainedCheckpoint.TempFile(".npy");
        (int code, string text, string error) = CliRunner.Run("features", "hog", "--input", Fixture(input), "--output", output,
            "--orientations", $"{orientations}", "--cell", $"{cell}", "--block", $"{block}", "--block-norm", norm);
        Assert.True(code == 0, error);
        (int[] shape, float[] values) = NpyFile.ReadFloat32(output);
        (int[] expectedShape, float[] reference) = NpyFile.ReadFloat32(Fixture(expected));
        Assert.Equal(expectedShape, shape);
        Assert.Contains($"→ {shape[1]} features each", text);
        double worst = values.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-4, $"largest difference from scikit-image {worst}");
        Assert.True(reference.Count(v => v > 0.05f) > reference.Length / 20, "the fixture is mostly zeros");
    }

    [Fact]
    public void The_readme_example_runs()
    {
        // README: engine features hog --input digits.npy --output hog.npy --orientations 9 --cell 8 --block 2 --block-norm l2-hys
        string output = TrainedCheckpoint.TempFile(".npy");
        (int code, string text, string error) = CliRunner.Run("features", "hog", "--input", Fixture("hog_mnist_input.npy"), "--output", output, "--orientations", "9", "--cell", "8", "--block", "2", "--block-norm", "l2-hys");
        Assert.True(code == 0, error);
        Assert.Contains("hog       4 image(s) of 1×28×28 → 144 features each (9 orientations, cell 8, block 2, l2-hys)", text);
        Assert.Equal([4, 144], NpyFile.ReadFloat32(output).Shape);
    }

    [Fact]
    public void A_npy_that_is_not_float32_is_refused()
    {
        string path = TrainedCheckpoint.TempFile(".npy");
        string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 2), }".PadRight(117) + "\n";
        byte[] bytes = [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. Encoding.ASCII.GetBytes(header), .. new byte[32]];
        File.WriteAllBytes(path, bytes);
        (int code, _, string error) = CliRunner.Run("features", "hog", "--input", path, "--output", TrainedCheckpoint.TempFile(".npy"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {path}: holds dtype '<f8', not float32 ('<f4'); convert it with array.astype(numpy.float32)", error.Trim());
    }

    [Fact]
    public void Images_too_small_for_a_block_are_refused()
    {
        (int code, _, string error) = CliRunner.Run("features", "hog", "--input", Fixture("hog_mnist_input.npy"), "--output", TrainedCheckpoint.TempFile(".npy"), "--cell", "16");
        Assert.Equal(1, code);
        Assert.Contains("a 28×28 image has 1×1 cells of 16 pixels, fewer than one block of 2×2 cells", error);
    }
}
