using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Imaging;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// The seeing-inside commands on the real CIFAR-10 from the shared data folder (<c>ENGINE_SHARED_DATA</c>
/// or <c>../shared/data</c>); skipped, naming the folder, when it is absent.
/// </summary>
public sealed partial class RealCifar10VisualTests
{
    private static string? Folder => Environment.GetEnvironmentVariable("ENGINE_SHARED_DATA") is { Length: > 0 } env
        ? Existing(Path.Combine(env, "cifar-10"))
        : Existing(Path.Combine(RepoPaths.SharedData, "cifar-10"));

    [CifarFact]
    public void Hog_and_softmax_on_cifar_10_colour_made_grey()
    {
        (int code, string output, string error) = CliRunner.Run("classical", "--dataset", "cifar-10", "--data", Folder!, "--features", "hog", "--limit", "3000", "--epochs", "3");
        Assert.True(code == 0, error);
        // 32×32 in cells of 4: 8×8 cells, 7×7 blocks of 2×2 cells of 9 bins.
        Assert.Contains("hog (9 orientations, cell 4, block 2, l2-hys, colour made grey): 1764 per image", output);
        double accuracy = double.Parse(Accuracy().Match(output).Groups["acc"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(accuracy, 0.25, 0.8); // ten classes: chance is 0.10
    }

    [CifarFact]
    public void Feature_maps_and_colour_filters_of_a_cifar_model()
    {
        string maps = TrainedCheckpoint.TempFile(".png"), filters = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("visualize", "--model", "vgg-cifar", "--layer", "conv1a", "--feature-maps", "--dataset", "cifar-10", "--data", Folder!, "--index", "0", "--output", maps);
        Assert.True(code == 0, error);
        Assert.Contains("input      test sample 0 (label cat)", output);
        Assert.Contains("32 of 32 maps", output);
        (code, output, error) = CliRunner.Run("visualize", "--model", "vgg-cifar", "--layer", "conv1a", "--output", filters, "--dataset", "cifar-10", "--data", Folder!);
        Assert.True(code == 0, error);
        Assert.Contains("32 of 32 filters in colour", output);
        DecodedImage image = ImageDecoder.Load(filters);
        // 32 3×3 filters at 10 px in a 6×6 grid: 1 + 6·31 a side, then the colour bar; colour means the channels differ somewhere.
        Assert.Equal((187 + Engine.Visualization.ScaleBar.PanelWidth, Engine.Visualization.ScaleBar.MinimumHeight), (image.Width, image.Height));
        Assert.Contains(Enumerable.Range(0, 31), i => image[1 + i, 1 + i, 0] != image[1 + i, 1 + i, 1]);
    }

    [CifarFact]
    public void Training_curves_and_evaluation_charts_of_a_cifar_run()
    {
        string folder = Directory.CreateTempSubdirectory("engine-cifar-").FullName;
        string svg = Path.Combine(folder, "curves.svg"), csv = Path.Combine(folder, "m.csv"), checkpoint = Path.Combine(folder, "c.ckpt"), confusion = Path.Combine(folder, "confusion.svg");
        (int code, string output, string error) = CliRunner.Run("train", "--model", "lenet5", "--dataset", "cifar-10", "--data", Folder!, "--limit", "512", "--epochs", "2",
            "--validation-split", "0.25", "--no-progress", "--metrics", csv, "--curves", svg, "--checkpoint", checkpoint);
        Assert.True(code == 0, error);
        // Three input channels: LeNet-5 has 83,126 parameters on CIFAR-10 (61,706 on MNIST).
        Assert.Contains("83,126 parameters", output);
        double[][] rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        double[][] expected = [.. new[] { 1, 3, 2, 4, 6 }.Select(column => rows.Select(r => r[column]).ToArray())];
        TrainingCurvesTests.AssertSeriesAre(CurveSvg.Load(svg), expected, [1, 2]);

        (code, output, error) = CliRunner.Run("eval", "--checkpoint", checkpoint, "--data", Folder!, "--confusion-image", confusion);
        Assert.True(code == 0, error);
        // The heat-map's rows and columns are CIFAR-10's class names, and its cells sum to the 10,000 test images.
        string[] texts = System.Xml.Linq.XDocument.Load(confusion).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()).ToArray();
        foreach (string name in new[] { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" })
        {
            Assert.Equal(2, texts.Count(t => t == name));
        }
        Assert.Contains("confusion matrix (10000 examples", texts.Single(t => t.StartsWith("confusion matrix", StringComparison.Ordinal)));
    }

    [CifarFact]
    public void Classical_beside_a_lenet5_trained_on_the_same_cifar_examples()
    {
        (int code, string output, string error) = CliRunner.Run("classical", "--dataset", "cifar-10", "--data", Folder!, "--features", "hog", "--limit", "500", "--epochs", "1",
            "--train-cnn", "lenet5", "--cnn-epochs", "1");
        Assert.True(code == 0, error);
        Assert.Contains("cnn       lenet5: 83,126 parameters; 1 epoch(s) on the same 500 training examples", output);
        Assert.Matches(@"(?m)^hog \+ linear +1764 +17,650 ", output);
        Assert.Matches(@"(?m)^CNN lenet5 \(learned features\) +- +83,126 ", output);
    }

    private static string? Existing(string folder) => Directory.Exists(folder) ? folder : null;

    [GeneratedRegex(@"^test accuracy (?<acc>\d\.\d{4})$", RegexOptions.Multiline)]
    private static partial Regex Accuracy();

    /// <summary>Skipped, naming the folder, when CIFAR-10 is not in the shared data.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    private sealed class CifarFactAttribute : FactAttribute
    {
        public CifarFactAttribute()
        {
            if (Folder is null)
            {
                Skip = $"cifar-10 is absent: looked in {Path.Combine(Environment.GetEnvironmentVariable("ENGINE_SHARED_DATA") is { Length: > 0 } env ? env : RepoPaths.SharedData, "cifar-10")} (set ENGINE_SHARED_DATA to the folder holding cifar-10/)";
            }
        }
    }
}
