using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Core;
using Engine.Host;
using Engine.Imaging;
using Engine.Tests;

namespace Engine.Cli.Tests;

public sealed partial class PredictCommandTests
{
    private const int Sample = 3;

    [Fact]
    public void AnIndexGivesItsTrueLabelAndTheSoftmaxOfTheLogits()
    {
        var (code, output, error) = CliRunner.Run("predict", "--checkpoint", TrainedCheckpoint.Path, "--index", $"{Sample}", "--top", "10");
        Assert.Equal("", error);
        Assert.Equal(0, code);

        using EngineHost host = TrainedCheckpoint.CreateHost();
        ImageDataset test = host.LoadDataset("mnist", RepoPaths.Mnist).Test;
        Assert.Contains($"input       test sample {Sample} of mnist\n", output);
        Assert.Contains($"true label  {test.GetLabel(Sample)}\n", output);
        Assert.Contains("normalize   normalize=0.1307:0.3081", output);

        // The expected probabilities, computed here: normalise by hand, forward, softmax.
        var sample = new float[784];
        test.CopySample(Sample, sample);
        for (int i = 0; i < sample.Length; i++)
        {
            sample[i] = (sample[i] - TrainedCheckpoint.Mean) / TrainedCheckpoint.Std;
        }
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = TrainedCheckpoint.Load(host, backend);
        using Tensor input = backend.Allocate(new Shape(1, 1, 28, 28));
        backend.CopyFromHost<float>(sample, input);
        var logits = new float[10];
        backend.CopyToHost<float>(network.Forward(input, training: false), logits);
        double max = logits.Max();
        double total = logits.Sum(v => Math.Exp(v - max));

        var rows = Rows(output);
        Assert.Equal(10, rows.Count);
        Assert.Equal(Array.IndexOf(logits, logits.Max()), rows[0].Class);
        Assert.Equal(1.0, rows.Sum(r => r.Probability), 5);
        Assert.Equal(Enumerable.Range(1, 10), rows.Select(r => r.Rank));
        foreach (var (_, c, p) in rows)
        {
            Assert.Equal(Math.Exp(logits[c] - max) / total, p, 1.5e-6); // printed to 6 decimals from a float32 softmax
        }
        Assert.True(rows.Zip(rows.Skip(1)).All(pair => pair.First.Probability >= pair.Second.Probability), "not most probable first");
    }

    [Fact]
    public void APngOfATestDigitGivesTheSameProbabilitiesAsItsIndex()
    {
        byte[] pixels = TestDigitBytes();
        // Also at twice the size, each pixel repeated 2×2: bilinear resizing back with centres
        // aligned averages two equal pixels, so it recovers the digit exactly.
        byte[] doubled = new byte[56 * 56];
        for (int y = 0; y < 56; y++)
        {
            for (int x = 0; x < 56; x++)
            {
                doubled[y * 56 + x] = pixels[y / 2 * 28 + x / 2];
            }
        }
        string png = TrainedCheckpoint.TempFile(".png");
        string large = TrainedCheckpoint.TempFile(".png");
        try
        {
            File.WriteAllBytes(png, ImageEncoder.Encode(new DecodedImage(28, 28, 1, pixels)));
            File.WriteAllBytes(large, ImageEncoder.Encode(new DecodedImage(56, 56, 1, doubled)));
            var (_, byIndex, _) = CliRunner.Run("predict", "--checkpoint", TrainedCheckpoint.Path, "--index", $"{Sample}");
            var (code, byImage, error) = CliRunner.Run("predict", "--checkpoint", TrainedCheckpoint.Path, "--image", png);
            Assert.Equal("", error);
            Assert.Equal(0, code);
            Assert.Contains($"input       {png} (28×28 grey)\n", byImage);
            Assert.DoesNotContain("resized", byImage);
            Assert.Equal(5, Rows(byIndex).Count);
            Assert.Equal(Rows(byIndex), Rows(byImage));

            var (codeLarge, byLarge, _) = CliRunner.Run("predict", "--checkpoint", TrainedCheckpoint.Path, "--image", large);
            Assert.Equal(0, codeLarge);
            Assert.Contains("resized     56×56 → 28×28 (bilinear), the model's input size\n", byLarge);
            Assert.Equal(Rows(byIndex), Rows(byLarge));
        }
        finally
        {
            File.Delete(png);
            File.Delete(large);
        }
    }

    [Theory]
    [InlineData(new string[0], "error: give what to classify: --image FILE or --index N")]
    [InlineData(new[] { "--index", "1", "--image", "x.png" }, "error: give either --image FILE or --index N, not both")]
    [InlineData(new[] { "--index", "10000" }, "error: --index 10000 is out of range: the test split of 'mnist' has 10000 examples (0 to 9999)")]
    [InlineData(new[] { "--index", "-1" }, "error: --index -1 is out of range: the test split of 'mnist' has 10000 examples (0 to 9999)")]
    [InlineData(new[] { "--index", "1", "--top", "0" }, "error: --top must be at least 1, got 0")]
    [InlineData(new[] { "--image", "/no/such.png" }, "error: /no/such.png: image file does not exist")]
    public void BadRequestsAreOneErrorLine(string[] extra, string expected)
    {
        var (code, _, error) = CliRunner.Run(["predict", "--checkpoint", TrainedCheckpoint.Path, .. extra]);
        Assert.Equal(1, code);
        Assert.Equal(expected, error.TrimEnd());
    }

    [Fact]
    public void AMissingCheckpointIsNamed()
    {
        var (code, _, error) = CliRunner.Run("predict", "--checkpoint", "/no/such/run.ckpt", "--index", "0");
        Assert.Equal(1, code);
        Assert.Equal("error: /no/such/run.ckpt: checkpoint file not found", error.TrimEnd());
    }

    /// <summary>Test example <see cref="Sample"/> of MNIST as the 28×28 grey bytes an image file would hold.</summary>
    private static byte[] TestDigitBytes()
    {
        using EngineHost host = TrainedCheckpoint.CreateHost();
        ImageDataset test = host.LoadDataset("mnist", RepoPaths.Mnist).Test;
        var sample = new float[784];
        test.CopySample(Sample, sample);
        return [.. sample.Select(v => (byte)Math.Round(v * 255))];
    }

    private static List<(int Rank, int Class, double Probability)> Rows(string output) =>
        RankLine().Matches(output).Select(m => (
            int.Parse(m.Groups["rank"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["class"].Value, CultureInfo.InvariantCulture),
            double.Parse(m.Groups["p"].Value, CultureInfo.InvariantCulture))).ToList();

    [GeneratedRegex(@"^ *(?<rank>\d+)  (?<class>\d) +(?<p>\d\.\d{6})$", RegexOptions.Multiline)]
    private static partial Regex RankLine();
}
