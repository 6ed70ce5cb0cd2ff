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
        // No --warmup: 100 steps, then on until the JIT is quiet (BenchWarmUp), so the loss line counts more.
        Match warmup = Regex.Match(output, @"warm-up   (\d+) training steps \((until the JIT compiled nothing for 0\.5 s|the JIT was still compiling after 20 s more)\); the JIT compiled \d+ methods");
        Assert.True(warmup.Success, output);
        int steps = int.Parse(warmup.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(steps >= 110, output);
        Assert.Contains($"(loss after {steps + 200} steps ", output);
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
        Assert.Equal("error: --dataset synthetic: model 'lenet5' has no default input size (give --input, e.g. 3x32x32, or a data set)", error.TrimEnd());
    }

    [Fact]
    public void SyntheticDataTakesAnInputShapeAWarmUpAndFewHeldBatchesAndReportsPeakMemory()
    {
        // The command runs in this test process, whose peak only grows: what it reports lies between
        // the peak before and the peak after it.
        long before = PeakResidentMiB();
        var (code, output, error) = CliRunner.Run("bench", "train", "--model", "lenet5", "--dataset", "synthetic", "--input", "1x28x28",
            "--batch", "4", "--steps", "3", "--repeat", "2", "--warmup", "1", "--held", "2", "--inference-batch", "4");
        Assert.True(code == 0, error);
        // 1 warm-up step, then 2 rounds of 3.
        Assert.Contains("(loss after 7 steps ", output);
        Assert.Matches(@"warm-up   1 training steps; the JIT compiled \d+ methods during the timed rounds", output);
        Match peak = PeakLine().Match(output);
        Assert.True(peak.Success, output);
        long after = PeakResidentMiB();
        // A .NET process with the plugins loaded holds tens of MiB at least.
        Assert.InRange(long.Parse(peak.Groups[1].Value, CultureInfo.InvariantCulture), Math.Max(20, before), after + 1); // the command rounds, this floors
    }

    [Fact]
    public void MemoryListsTheTensorsHeldByTheirAllocationSite()
    {
        var (code, output, error) = CliRunner.Run("bench", "train", "--model", "lenet5", "--dataset", "synthetic", "--input", "1x28x28",
            "--batch", "4", "--steps", "2", "--repeat", "1", "--warmup", "1", "--held", "2", "--inference-batch", "4", "--memory");
        Assert.True(code == 0, error);
        // LeNet-5's 61,706 parameters in float32 (241 KiB), and as many gradient values.
        Assert.Matches(@"\n +0\.2 MiB +\d+ × LayerBase\.AddParameter\r?\n", output);
        Assert.Matches(@"\n +0\.2 MiB +\d+ × Parameter\.get_Gradient\r?\n", output);
        // The convolutions' outputs: on OpenBLAS each convolution and its ReLU run as one training call
        // (ENGINE_CPU_TRAIN_FUSION), whose output the layer allocates there; layer by layer in Forward.
        Assert.Matches(@"\n +\d+\.\d MiB +\d+ × ConvolutionLayer\.Forward(WithBiasActivation)?\r?\n", output);
    }

    // VmHWM of /proc/self/status in MiB, rounded down as the command prints it.
    private static long PeakResidentMiB()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
    }

    [GeneratedRegex(@"memory    peak resident set (\d+) MiB")]
    private static partial Regex PeakLine();

    [GeneratedRegex(@"result    train_images_per_s=\d+ .* host_syncs_per_step=(\d+\.\d{4})\r?\n")]
    private static partial Regex ResultLine();
}
