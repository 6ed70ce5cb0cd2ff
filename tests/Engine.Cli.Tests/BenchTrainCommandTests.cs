using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Tests;

namespace Engine.Cli.Tests;

public sealed partial class BenchTrainCommandTests
{
    [Fact]
    public void PrintsHostSyncsPerStepOnTheResultLineAndStaysUnderOnePer20Steps()
    {
        var (code, output, error) = CliRunner.Run("bench", "train", "--model", "lenet5", "--batch", "8", "--steps", "200", "--repeat", "1",
            "--inference-batch", "16", "--data", RepoPaths.Mnist);
        Assert.True(code == 0, error);
        Assert.Contains("host syncs", output);
        Match result = ResultLine().Match(output);
        Assert.True(result.Success, output);
        double perStep = double.Parse(result.Groups[1].Value, CultureInfo.InvariantCulture);
        // 200 timed steps: progress reads at most every 25 steps (8 of them, 0.04 per step); nothing else waits.
        Assert.InRange(perStep, 0, 0.04);
        Assert.Contains("0 synchronisations in 200 steps", output);
    }

    [Fact]
    public void SyntheticDataTimesAZooModelAtItsDefaultInputSize()
    {
        var (code, output, error) = CliRunner.Run("bench", "train", "--model", "resnet20", "--dataset", "synthetic", "--batch", "4",
            "--steps", "2", "--repeat", "1", "--inference-batch", "4");
        Assert.True(code == 0, error);
        // resnet20's default input is CIFAR's 3×32×32 and its head has 10 classes.
        Assert.Contains("model     resnet20: ", output);
        Assert.Contains("; 269,722 parameters", output);
        Assert.Matches(ResultLine(), output);
    }

    [Fact]
    public void SyntheticDataNeedsAModelWithADefaultInput()
    {
        var (code, _, error) = CliRunner.Run("bench", "train", "--model", "lenet5", "--dataset", "synthetic");
        Assert.Equal(1, code);
        Assert.Equal("error: --dataset synthetic: model 'lenet5' has no default input size (the zoo's models have one; give a data set for the others)", error.TrimEnd());
    }

    [GeneratedRegex(@"result    train_images_per_s=\d+ .* host_syncs_per_step=(\d+\.\d{4})\r?\n")]
    private static partial Regex ResultLine();
}
