using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Cli.Tests;

public sealed partial class TrainCommandTests(ITestOutputHelper log)
{
    [Fact]
    public void TrainPrintsEpochLinesAndLearns()
    {
        var (code, output, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--limit", "6000", "--epochs", "2", "--batch-size", "32", "--seed", "4");
        log.WriteLine(output + error);
        Assert.Equal(0, code);
        Assert.Contains("backend   openblas", output);
        Assert.Contains("model     mlp: flatten → dense → relu → dense; 203,530 parameters", output);
        var epochs = EpochLine().Matches(output);
        Assert.Equal(2, epochs.Count);
        double loss1 = double.Parse(epochs[0].Groups["loss"].Value, CultureInfo.InvariantCulture);
        double loss2 = double.Parse(epochs[1].Groups["loss"].Value, CultureInfo.InvariantCulture);
        Assert.True(loss2 < loss1, $"loss did not fall: {loss1} then {loss2}");
        Assert.InRange(FinalAccuracy(output), 0.90, 1.0);
    }

    [Theory]
    [InlineData("--data", "/no/such/folder", "does not exist")]
    [InlineData("--epochs", "0", "--epochs must be a positive integer, got 0")]
    [InlineData("--model", "resnet9000", "unknown model 'resnet9000'; known: alexnet, alexnet-2012, googlenet, googlenet-aux, googlenet_bn, lenet5, lenet5-1998, mlp, resnet101")]
    [InlineData("--device", "tpu", "unknown backend or device 'tpu'; known: cudnn, openblas")]
    [InlineData("--dataset", "imagenet", "unknown dataset 'imagenet'; known: cifar-10, cifar-100, cifar-100-coarse, fashion-mnist, image-folder, mnist")]
    public void BadOptionsGiveOneErrorLine(string option, string value, string expected)
    {
        string[] args = option == "--data" ? ["train", option, value] : ["train", "--data", RepoPaths.Mnist, option, value];
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    internal static double FinalAccuracy(string output) =>
        double.Parse(FinalLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^epoch \d+/\d+  loss (?<loss>[0-9.]+)  train acc [0-9.]+  test acc [0-9.]+  lr [0-9.E+-]+  time [0-9.]+s  \d+ images/s", RegexOptions.Multiline)]
    private static partial Regex EpochLine();

    [GeneratedRegex(@"final test accuracy ([0-9.]+)")]
    private static partial Regex FinalLine();
}
