using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Core;
using Engine.Host;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary><c>engine classical</c> on the bundled MNIST: feature sizes, accuracy and the CNN comparison.</summary>
public sealed partial class ClassicalCommandTests
{
    [Fact]
    public void Hog_and_softmax_regression_learn_mnist_from_2000_examples()
    {
        // README: engine classical --dataset mnist --features hog --classifier softmax (here on 2,000 examples, 4 epochs)
        (int code, string output, string error) = CliRunner.Run("classical", "--dataset", "mnist", "--data", RepoPaths.Mnist, "--features", "hog", "--classifier", "softmax", "--limit", "2000", "--epochs", "4");
        Assert.True(code == 0, error);
        // 28×28 in cells of 4: 7×7 cells, 6×6 blocks of 2×2 cells of 9 bins.
        Assert.Contains("features  hog (9 orientations, cell 4, block 2, l2-hys): 1296 per image", output);
        Assert.Contains("12,970 parameters", output);
        double accuracy = Accuracy(output);
        Assert.InRange(accuracy, 0.90, 1.0);
    }

    [Fact]
    public void Sobel_features_and_a_linear_svm()
    {
        (int code, string output, string error) = CliRunner.Run("classical", "--data", RepoPaths.Mnist, "--features", "sobel", "--classifier", "linear-svm", "--limit", "1000", "--epochs", "3");
        Assert.True(code == 0, error);
        // Eight compass maps of 28×28, pooled to 14×14.
        Assert.Contains("): 1568 per image", output);
        Assert.Contains("classifier linear SVM (multi-class hinge)", output);
        Assert.InRange(Accuracy(output), 0.80, 1.0);
    }

    [Fact]
    public void Compare_cnn_puts_the_checkpoint_accuracy_beside()
    {
        (int code, string output, string error) = CliRunner.Run("classical", "--data", RepoPaths.Mnist, "--features", "pixels", "--limit", "500", "--epochs", "2", "--compare-cnn", ConvCheckpoint.Path);
        Assert.True(code == 0, error);
        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = ConvCheckpoint.Load(host, backend);
        double expected = Trainer.Evaluate(network, host.LoadDataset("mnist", RepoPaths.Mnist).Test, 256, null).Top1;
        Match row = CnnRow().Match(output);
        Assert.True(row.Success, output);
        Assert.Equal(expected.ToString("F4", CultureInfo.InvariantCulture), row.Groups["acc"].Value);
        Assert.Contains("pixels + linear", output);
    }

    [Fact]
    public void Train_cnn_trains_lenet5_on_the_same_examples_as_engine_train_would()
    {
        (int code, string output, string error) = CliRunner.Run("classical", "--data", RepoPaths.Mnist, "--features", "pixels", "--limit", "1000", "--epochs", "1",
            "--train-cnn", "lenet5", "--cnn-epochs", "2", "--seed", "3");
        Assert.True(code == 0, error);
        Assert.Contains("cnn       lenet5: 61,706 parameters; 2 epoch(s) on the same 1000 training examples, batch 64, sgd lr 0.05 momentum 0.9, cosine, seed 3", output);
        Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("cnn epoch ", StringComparison.Ordinal)));
        Match row = LeNetRow().Match(output);
        Assert.True(row.Success, output);
        // The same run through 'engine train' reaches the same test accuracy to the last digit.
        (code, string trained, error) = CliRunner.Run("train", "--model", "lenet5", "--data", RepoPaths.Mnist, "--limit", "1000", "--epochs", "2", "--lr", "0.05",
            "--momentum", "0.9", "--schedule", "cosine", "--batch-size", "64", "--seed", "3", "--no-progress");
        Assert.True(code == 0, error);
        string final = trained.Split('\n').Single(l => l.StartsWith("final test accuracy ", StringComparison.Ordinal)).Trim();
        Assert.Equal(final["final test accuracy ".Length..], row.Groups["acc"].Value);
    }

    [Fact]
    public void Compare_cnn_and_train_cnn_together_are_refused()
    {
        (int code, _, string error) = CliRunner.Run("classical", "--data", RepoPaths.Mnist, "--compare-cnn", ConvCheckpoint.Path, "--train-cnn", "lenet5");
        Assert.Equal(1, code);
        Assert.Equal("error: give --compare-cnn CHECKPOINT or --train-cnn MODEL, not both", error.Trim());
    }

    [Fact]
    public void An_unknown_feature_kind_is_one_line()
    {
        (int code, _, string error) = CliRunner.Run("classical", "--data", RepoPaths.Mnist, "--features", "sift");
        Assert.Equal(1, code);
        Assert.Equal("error: --features must be hog, sobel or pixels, got 'sift'", error.Trim());
    }

    private static double Accuracy(string output) =>
        double.Parse(AccuracyLine().Match(output).Groups["acc"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^test accuracy (?<acc>\d\.\d{4})$", RegexOptions.Multiline)]
    private static partial Regex AccuracyLine();

    [GeneratedRegex(@"^CNN tiny-conv \(learned features\) +- +3,791 +\d+\.\d s +(?<acc>\d\.\d{4})$", RegexOptions.Multiline)]
    private static partial Regex CnnRow();

    [GeneratedRegex(@"^CNN lenet5 \(learned features\) +- +61,706 +\d+\.\d s +(?<acc>\d\.\d{4})$", RegexOptions.Multiline)]
    private static partial Regex LeNetRow();
}
