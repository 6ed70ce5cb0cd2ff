using System.Globalization;
using System.Text.RegularExpressions;

namespace Engine.Cli.Tests;

public sealed partial class BenchLayersCommandTests
{
    [Fact]
    public void PrintsTheFmaPeakAndEachConvolutionAsAShareOfIt()
    {
        var (code, output, error) = CliRunner.Run("bench", "layers", "--only", "(64,6,14,14)", "--repeat", "1");
        Assert.True(code == 0, error);
        Match peak = PeakLine().Match(output);
        Assert.True(peak.Success, output);
        double peakRate = Parse(peak.Groups[1].Value);
        Assert.True(peakRate > 0, output);
        Match row = ConvolutionRow().Match(output);
        Assert.True(row.Success, output);
        double forward = Parse(row.Groups[1].Value), backward = Parse(row.Groups[2].Value), rate = Parse(row.Groups[3].Value);
        // 2·N·K·C·R²·OH·OW = 2·64·16·6·25·10·10 forward FLOPs; forward+backward is three times that.
        Assert.Equal(3 * 30_720_000 / (forward + backward) / 1e6, rate, 0.15 + rate * 0.01);
        Assert.Equal(Math.Round(100 * rate / peakRate), Parse(row.Groups[4].Value), 1.0);
    }

    [Fact]
    public void PoolingShowsTheBandwidthOfItsLeastTraffic()
    {
        var (code, output, error) = CliRunner.Run("bench", "layers", "--only", "max-pool", "--repeat", "1");
        Assert.True(code == 0, error);
        Match row = PoolRow().Match(output);
        Assert.True(row.Success, output);
        double forward = Parse(row.Groups[1].Value), backward = Parse(row.Groups[2].Value);
        // 32·64·56·56 floats: forward reads x and writes a quarter, backward reads dy and x and writes dx.
        Assert.Equal(4 * 6_422_528 * 3.5 / (forward + backward) / 1e6, Parse(row.Groups[3].Value), 0.15 + Parse(row.Groups[3].Value) * 0.01);
    }

    [Fact]
    public void PrintsTheMemoryBandwidthAndEachMemoryBoundCaseAsAShareOfIt()
    {
        var (code, output, error) = CliRunner.Run("bench", "layers", "--only", "batch norm", "--repeat", "1");
        Assert.True(code == 0, error);
        Match line = BandwidthLine().Match(output);
        Assert.True(line.Success, output);
        double bandwidth = Parse(line.Groups[1].Value);
        // A copy far beyond the cache: above any disk, below any memory system a CPU has (even loaded).
        Assert.InRange(bandwidth, 0.5, 5000);
        Assert.True(int.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture) >= 1, output);
        Match row = BatchNormRow().Match(output);
        Assert.True(row.Success, output);
        double forward = Parse(row.Groups[1].Value), backward = Parse(row.Groups[2].Value), rate = Parse(row.Groups[3].Value);
        // 32·64·56·56 floats: forward reads x and writes y, backward reads dy and x and writes dx.
        Assert.Equal(4 * 6_422_528 * 5.0 / (forward + backward) / 1e6, rate, 0.15 + rate * 0.01);
        Assert.Equal(Math.Round(100 * rate / bandwidth), Parse(row.Groups[4].Value), 1.0);
        Assert.Matches(@"f\+b GB/s +of bw", output);
    }

    [Fact]
    public void CompareTorchPutsTheScriptsFiguresAndTheRatioBesideEachCase()
    {
        // A stand-in for layers_torch.py that answers like it: 3 ms forward, 5 ms backward.
        string output = RunWithTorchStandIn("print('max-pool 2x2 s2 (32,64,56,56)\\t3.0\\t5.0')\n", "--only", "max-pool", "--repeat", "1");
        Match row = PoolRowWithTorch().Match(output);
        Assert.True(row.Success, output);
        double engine = Parse(row.Groups[1].Value) + Parse(row.Groups[2].Value);
        Assert.Equal("3.00", row.Groups[3].Value);
        Assert.Equal("5.00", row.Groups[4].Value);
        Assert.Equal(8 / engine, Parse(row.Groups[5].Value), 0.01 + 8 / engine * 0.01);
    }

    [Fact]
    public void CompareTorchNamesAMissingScript()
    {
        var (code, _, error) = CliRunner.Run("bench", "layers", "--only", "max-pool", "--repeat", "1", "--compare-torch", "--torch-script", "/no/such/layers_torch.py");
        Assert.Equal(1, code);
        Assert.Equal("error: --torch-script: file not found: /no/such/layers_torch.py", error.TrimEnd());
    }

    [Fact]
    public void CpuTimeAsksTheTorchScriptForCpuTimeToo()
    {
        // The stand-in answers only when it is asked for CPU time: 2 ms forward, 6 ms backward.
        string output = RunWithTorchStandIn("import sys\nif '--cpu-time' in sys.argv: print('max-pool 2x2 s2 (32,64,56,56)\\t2.0\\t6.0')\n",
            "--only", "max-pool 2x2", "--repeat", "2", "--cpu-time");
        Assert.Contains("least process CPU time of 2", output);
        Match row = PoolRowWithTorch().Match(output);
        Assert.True(row.Success, output);
        double engine = Parse(row.Groups[1].Value) + Parse(row.Groups[2].Value);
        Assert.Equal("2.00", row.Groups[3].Value);
        Assert.Equal(8 / engine, Parse(row.Groups[5].Value), 0.01 + 8 / engine * 0.01);
    }

    [Fact]
    public void TrainLayersOfAGraphSumsEachLayerKind()
    {
        var (code, output, error) = CliRunner.Run("bench", "train", "--model", "resnet20", "--dataset", "synthetic", "--batch", "2",
            "--inference-batch", "2", "--steps", "1", "--repeat", "1", "--warmup", "1", "--layers");
        Assert.True(code == 0, error);
        // ResNet-20: 19 convolutions and batch norms, 9 residual adds, 2 shortcut subsamples.
        var counts = KindRow().Matches(output).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(19, counts["conv2d"]);
        Assert.Equal(19, counts["batch_norm"]);
        Assert.Equal(9, counts["add"]);
        Assert.Equal(2, counts["max_pool2d"]);
        double cpuShares = KindRow().Matches(output).Sum(m => Parse(m.Groups[4].Value));
        Match total = TotalRow().Match(output);
        Assert.True(total.Success, output);
        Assert.Equal(100.0, Parse(total.Groups[1].Value), 0.01);
        Assert.True(cpuShares <= 100.5, output);
    }

    // `bench layers --compare-torch` with a Python stand-in for layers_torch.py; returns the output.
    private static string RunWithTorchStandIn(string python, params string[] arguments)
    {
        string script = Path.Combine(Path.GetTempPath(), $"engine-layers-torch-{Guid.NewGuid():N}.py");
        File.WriteAllText(script, python);
        try
        {
            var (code, output, error) = CliRunner.Run(["bench", "layers", .. arguments, "--compare-torch", "--torch-script", script]);
            Assert.True(code == 0, error);
            return output;
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^  ([a-z_0-9]+) +(\d+) +\d+\.\d+ +\d+\.\d+ +(\d+\.\d)% +\d+\.\d+ +\d+\.\d+ +(\d+\.\d)%", RegexOptions.Multiline)]
    private static partial Regex KindRow();

    [GeneratedRegex(@"^  total +\d+\.\d+ +\d+\.\d+ +\d+\.\d% +\d+\.\d+ +\d+\.\d+ +(\d+\.\d)%", RegexOptions.Multiline)]
    private static partial Regex TotalRow();

    [GeneratedRegex(@"FP32 FMA peak: (\d+\.\d) GFLOP/s")]
    private static partial Regex PeakLine();

    [GeneratedRegex(@"memory bandwidth: (\d+\.\d) GB/s \(copy .*; (\d+) threads?[,)]")]
    private static partial Regex BandwidthLine();

    [GeneratedRegex(@"batch norm \(32,64,56,56\) +(\d+\.\d+) +(\d+\.\d+) +(\d+\.\d) +(\d+) %\r?\n")]
    private static partial Regex BatchNormRow();

    [GeneratedRegex(@"conv \(64,6,14,14\)->16@5x5 s1 p0 +(\d+\.\d+) +(\d+\.\d+) +(\d+\.\d) +(\d+) %")]
    private static partial Regex ConvolutionRow();

    [GeneratedRegex(@"max-pool 2x2 s2 \(32,64,56,56\) +(\d+\.\d+) +(\d+\.\d+) +(\d+\.\d) +\d+ %\r?\n")]
    private static partial Regex PoolRow();

    [GeneratedRegex(@"max-pool 2x2 s2 \(32,64,56,56\) +(\d+\.\d+) +(\d+\.\d+) +\d+\.\d +\d+ % +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d)x")]
    private static partial Regex PoolRowWithTorch();
}
