using System.Globalization;
using Engine.Imaging;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>engine train</c> end to end on a slice of the bundled MNIST: checkpoint, resume, metrics and
/// curves files, validation and early stopping, k-fold, and transfer learning onto an image folder.
/// </summary>
public sealed class TrainWorkflowTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-train-").FullName;

    private string File(string name) => Path.Combine(_folder, name);

    private static string[] Quick(params string[] extra) =>
        ["train", "--model", "mlp", "--data", RepoPaths.Mnist, "--limit", "600", "--batch-size", "50", "--lr", "0.1", "--momentum", "0.9", "--no-progress", .. extra];

    private static string Line(string output, string start) =>
        output.Split('\n').Single(l => l.StartsWith(start, StringComparison.Ordinal)).TrimEnd();

    [Fact]
    public void AResumedRunEndsExactlyWhereTheUninterruptedOneDoes()
    {
        var (codeA, first, errorA) = CliRunner.Run(Quick("--epochs", "1", "--checkpoint", File("one.ckpt")));
        Assert.True(codeA == 0, errorA);
        Assert.Contains("epoch 1/1", first);
        var (codeB, resumed, errorB) = CliRunner.Run(Quick("--epochs", "2", "--resume", File("one.ckpt")));
        Assert.True(codeB == 0, errorB);
        Assert.Contains("resumed   from " + File("one.ckpt") + " after epoch 1 (step 12)", resumed);
        Assert.DoesNotContain("epoch 1/2", resumed);
        Assert.Contains("epoch 2/2", resumed);

        // Momentum buffers, step counter and weights come back from the file, so epoch 2 matches exactly.
        var (codeC, plain, errorC) = CliRunner.Run(Quick("--epochs", "2", "--checkpoint", File("plain.ckpt")));
        Assert.True(codeC == 0, errorC);
        Assert.Equal(Metric(Line(plain, "epoch 2/2"), "loss"), Metric(Line(resumed, "epoch 2/2"), "loss"));
        Assert.Equal(Line(plain, "final test accuracy"), Line(resumed, "final test accuracy"));
    }

    [Fact]
    public void MetricsAndCurvesFilesAreWritten()
    {
        var (code, output, error) = CliRunner.Run(Quick("--epochs", "2", "--validation-split", "0.2", "--metrics", File("m.csv"), "--curves", File("sub/c.png")));
        Assert.True(code == 0, error);
        Assert.Contains("479 training, 121 validation, 10000 test examples", output); // stratified: rounded per class
        string[] rows = System.IO.File.ReadAllLines(File("m.csv"));
        Assert.Equal(3, rows.Length); // header + 2 epochs
        Assert.StartsWith("epoch,train_loss", rows[0], StringComparison.Ordinal);
        Assert.StartsWith("2,", rows[2], StringComparison.Ordinal);
        byte[] png = System.IO.File.ReadAllBytes(File("sub/c.png"));
        DecodedImage image = ImageDecoder.Decode(png, "c.png");
        Assert.Equal((Engine.Visualization.TrainingCurveChart.Width, Engine.Visualization.TrainingCurveChart.Height), (image.Width, image.Height));
        Assert.Contains("val loss", Line(output, "epoch 2/2"));
    }

    [Fact]
    public void EarlyStoppingNeedsAValidationSet()
    {
        var (code, _, error) = CliRunner.Run(Quick("--early-stopping", "2"));
        Assert.Equal(1, code);
        Assert.Equal("error: --early-stopping watches the validation loss: give --validation-split too", error.TrimEnd());
    }

    [Fact]
    public void KFoldReportsEachFoldAndTheMean()
    {
        var (code, output, error) = CliRunner.Run(Quick("--epochs", "1", "--kfold", "3"));
        Assert.True(code == 0, error);
        Assert.Contains("k-fold    3 folds of the 600 training examples", output);
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("fold ", StringComparison.Ordinal)));
        string summary = Line(output, "k-fold    fold accuracies");
        double mean = double.Parse(summary.Split("mean ")[1].Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.InRange(mean, 0.5, 1.0);
    }

    [Fact]
    public void TransferLearningLoadsTheBodyReplacesTheHeadAndFreezes()
    {
        var (code, _, error) = CliRunner.Run(Quick("--epochs", "1", "--checkpoint", File("mnist.ckpt")));
        Assert.True(code == 0, error);
        string images = MakeImageFolder(classes: 3, perClass: 4);

        var (code2, output, error2) = CliRunner.Run("train", "--model", "mlp", "--dataset", "image-folder", "--data", images, "--epochs", "1",
            "--batch-size", "4", "--weights", File("mnist.ckpt"), "--replace-head", "--freeze", "dense1.*", "--no-progress");
        Assert.True(code2 == 0, error2);
        string weights = Line(output, "weights");
        Assert.StartsWith("weights   2 parameter(s) from", weights, StringComparison.Ordinal);
        Assert.Contains("dense2.weight", weights); // 10 → 3 outputs: kept its new initialisation
        Assert.Equal("frozen    dense1.weight, dense1.bias", Line(output, "frozen"));
        Assert.Contains("final test accuracy", output);
    }

    // 28×28 grey PNGs, class c brighter in a band of rows c·9 … c·9+8, so the classes differ.
    private string MakeImageFolder(int classes, int perClass)
    {
        string root = File("images");
        foreach (string split in new[] { "train", "test" })
        {
            for (int c = 0; c < classes; c++)
            {
                string folder = Path.Combine(root, split, $"class{c}");
                Directory.CreateDirectory(folder);
                for (int i = 0; i < perClass; i++)
                {
                    var pixels = new byte[28 * 28];
                    for (int y = c * 9; y < c * 9 + 9; y++)
                    {
                        for (int x = 0; x < 28; x++)
                        {
                            pixels[y * 28 + x] = (byte)(200 + i);
                        }
                    }
                    System.IO.File.WriteAllBytes(Path.Combine(folder, $"{i}.png"), ImageEncoder.Encode(new DecodedImage(28, 28, 1, pixels)));
                }
            }
        }
        return root;
    }

    private static string Metric(string line, string name) => line.Split("  ").Single(p => p.StartsWith(name + " ", StringComparison.Ordinal));

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
