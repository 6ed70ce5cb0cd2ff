using Engine.Tests;

namespace Engine.Cli.Tests;

public sealed class SummaryCommandTests
{
    [Fact]
    public void LeNet5SummaryListsEveryLayerAndTheTotals()
    {
        var (code, output, error) = CliRunner.Run("summary", "--model", "lenet5", "--input", "1x28x28");
        Assert.Equal("", error);
        Assert.Equal(0, code);
        string[] lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("model lenet5, input 1×28×28 per sample", lines[0]);
        Assert.Equal("conv1       conv2d      input    6×28×28          156  117,600", lines[3]);
        Assert.Equal("pool2       max_pool2d  relu2    16×5×5             -        -", lines[8]);
        Assert.Equal("classifier  dense       relu4    10               850      840", lines[14]);
        Assert.Equal("parameters  61,706 (241.0 KiB)", lines[15]);
        Assert.Equal("MACs        416,520 per sample forward (0.42 M)", lines[16]);
        Assert.Equal("activations 15,002 values per sample forward (58.6 KiB)", lines[17]);
        Assert.DoesNotContain('\u001b', output);
    }

    [Fact]
    public void TheInputShapeComesFromTheDataSetByDefault()
    {
        var (code, output, _) = CliRunner.Run("summary", "--model", "mlp", "--data", RepoPaths.Mnist);
        Assert.Equal(0, code);
        Assert.Contains("model mlp, input 1×28×28 per sample", output);
        Assert.Contains("parameters  203,530", output);
    }

    [Fact]
    public void AnImageNetModelUsesItsOwnInputByDefault()
    {
        var (code, output, error) = CliRunner.Run("summary", "--model", "resnet50");
        Assert.Equal("", error);
        Assert.Equal(0, code);
        Assert.StartsWith("model resnet50, input 3×224×224 per sample", output);
        Assert.Contains("parameters  25,557,032", output);
        Assert.Contains("MACs        4,089,184,256 per sample forward", output);
    }

    [Fact]
    public void AuxiliaryHeadsAreMarked()
    {
        var (code, output, error) = CliRunner.Run("summary", "--model", "googlenet-aux");
        Assert.Equal("", error);
        Assert.Equal(0, code);
        string[] lines = output.Split('\n');
        Assert.Equal(16, lines.Count(l => l.Split(' ')[0] is var name && (name.StartsWith("aux1_", StringComparison.Ordinal) || name.StartsWith("aux2_", StringComparison.Ordinal)) && l.Contains(" [aux] ", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.StartsWith("inception", StringComparison.Ordinal) && l.Contains("[aux]", StringComparison.Ordinal));
        Assert.Contains("parameters  13,378,280", output);
        Assert.Contains("auxiliary   aux1_fc2 (loss weight 0.3), aux2_fc2 (loss weight 0.3): training only; the [aux] layers hold 6,379,728 of the parameters", output);
        (_, output, _) = CliRunner.Run("summary", "--model", "googlenet");
        Assert.DoesNotContain("[aux]", output);
        Assert.DoesNotContain("auxiliary", output);
    }

    [Fact]
    public void ReplacingTheHeadResizesTheAuxiliaryClassifiers()
    {
        System.Text.Json.Nodes.JsonObject Units(int n) => new() { ["units"] = n };
        var spec = new ModelSpec("m", [new LayerSpec("flatten", Name: "f"), new LayerSpec("dense", Units(1000), "side"), new LayerSpec("dense", Units(1000), "out", ["f"])])
        { AuxiliaryOutputs = [new AuxiliaryOutput("side", 0.3)] };
        ModelSpec resized = HeadReplacement.WithClasses(spec, 10);
        Assert.Equal([10, 10], resized.Layers.Skip(1).Select(l => l.Arguments!["units"]!.GetValue<int>()));
        Assert.Equal(spec.AuxiliaryOutputs, resized.AuxiliaryOutputs);
    }

    [Fact]
    public void ACifarResNetUsesItsOwnInputAndAnExplicitInputWins()
    {
        var (code, output, _) = CliRunner.Run("summary", "--model", "resnet20");
        Assert.Equal(0, code);
        Assert.StartsWith("model resnet20, input 3×32×32 per sample", output);
        Assert.Contains("parameters  269,722", output);
        (code, output, _) = CliRunner.Run("summary", "--model", "alexnet", "--input", "3x256x256");
        Assert.Equal(0, code);
        Assert.StartsWith("model alexnet, input 3×256×256 per sample", output);
        Assert.Contains("parameters  61,100,840", output); // the adaptive pool keeps the classifier's 9,216 inputs
    }

    [Fact]
    public void AModelFileIsSummarisedToo()
    {
        string path = Path.Combine(Path.GetTempPath(), $"engine-summary-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"name": "tiny", "layers": [{"type": "conv2d", "filters": 2, "kernel": 3}, {"type": "global_avg_pool"}]}""");
        try
        {
            var (code, output, _) = CliRunner.Run("summary", "--model", path, "--input", "3x8x8");
            Assert.Equal(0, code);
            // 2 filters × 6×6 positions × 3·3·3 taps.
            Assert.Matches(@"\nconv2d1 +conv2d +input +2×6×6 +56 +1,944\n", output);
            Assert.Contains("MACs        1,944 per sample forward", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AModelTooLargeToAllocateIsSummarisedWithoutItsMemoryAndStillRefusedForTraining()
    {
        // 11.4 billion parameters (45 GB in float32), the first of them alone over one tensor's 2^31 values.
        string path = Path.Combine(Path.GetTempPath(), $"engine-summary-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            {"name": "huge", "layers": [{"type": "flatten"}, {"type": "dense", "units": 3000000, "name": "wide"},
              {"type": "dense", "units": 3000, "name": "narrow"}, {"type": "dense", "units": 10, "name": "out"}]}
            """);
        try
        {
            var (code, output, error) = CliRunner.Run("summary", "--model", path, "--input", "1x28x28");
            Assert.Equal("", error);
            Assert.Equal(0, code);
            // 784·3,000,000 + 3,000,000; 3,000,000·3,000 + 3,000; 3,000·10 + 10.
            Assert.Matches(@"\nwide +dense +flatten1 +3000000 +2,355,000,000 ", output);
            Assert.Matches(@"\nnarrow +dense +wide +3000 +9,000,003,000 ", output);
            Assert.Contains("parameters  11,355,033,010 ", output);

            (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--limit", "100", "--model", path);
            Assert.Equal(1, code);
            Assert.Equal("error: model 'huge' layer #2 'wide' (dense) with {\"units\":3000000}: a parameter too large for the backend: [3000000, 784] has 2352000000 elements; the openblas backend handles at most 2147483647 elements per tensor", error.TrimEnd());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("1xa", "error: --input must be positive dimensions such as 1x28x28, got '1xa'")]
    [InlineData("3x0x8", "error: --input must be positive dimensions such as 1x28x28, got '3x0x8'")]
    public void BadInputShapesAreNamed(string input, string expected)
    {
        var (code, _, error) = CliRunner.Run("summary", "--model", "lenet5", "--input", input);
        Assert.Equal(1, code);
        Assert.Equal(expected, error.TrimEnd());
    }

    [Fact]
    public void ATooSmallInputNamesTheLayer()
    {
        var (code, _, error) = CliRunner.Run("summary", "--model", "lenet5", "--input", "1x8x8");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("conv2", error);
    }

    [Fact]
    public void HelpNamesTheCommands()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        foreach (string command in new[] { "plugins", "train", "summary", "bench" })
        {
            Assert.Contains($"  {command}", output);
        }
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        Assert.Contains("`engine summary", readme);
        Assert.Contains("--config", readme);
    }
}
