namespace Engine.Cli.Tests;

public sealed class CheckBackendCommandTests
{
    [Fact]
    public void PrintsALinePerCaseAndEndsWithTheCounts()
    {
        var (code, output, error) = CliRunner.Run("check-backend", "openblas", "--filter", "gemm");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        string[] lines = output.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.StartsWith("backend:   openblas (", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("traits:    float32 tolerance 1E-05, float64 tolerance 1E-12, max-pool ties FirstIndex", lines[1], StringComparison.Ordinal);
        Assert.Contains("pass  gemm float32 [7, 5] k 9", lines);
        Assert.Contains("pass  gemm float64 [64, 17] k 3 Aᵀ Bᵀ", lines);
        // 3 sizes × 4 transpose combinations × 2 data types.
        Assert.Equal(24, lines.Count(l => l.StartsWith("pass  gemm ", StringComparison.Ordinal)));
        Assert.Equal("24 passed, 0 failed", lines[^1]);
    }

    [Fact]
    public void TheWholeKitPassesOnOpenBlas()
    {
        var (code, output, _) = CliRunner.Run("check-backend", "openblas", "--hide-skipped");
        Assert.Equal(0, code);
        string last = output.TrimEnd().Split('\n')[^1].TrimEnd('\r');
        Assert.Matches(@"^\d{3,} passed, 0 failed$", last);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
        Assert.DoesNotContain("skip  ", output, StringComparison.Ordinal);
        Assert.Contains("pass  accumulate_confusion float32 [9, 6]", output, StringComparison.Ordinal);
        Assert.Contains("pass  layer float32 conv2d ", output, StringComparison.Ordinal);
        Assert.Contains("pass  gradient check float64 batch_norm ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownBackendIsOneErrorLineListingTheKnownOnes()
    {
        var (code, output, error) = CliRunner.Run("check-backend", "cuda-nope");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("error: unknown backend or device 'cuda-nope'; known: cudnn, openblas (run 'engine plugins' to see what each plugin registers)", error.TrimEnd());
    }

    [Fact]
    public void HelpListsTheCommand()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        Assert.Matches(@"check-backend <backend>\s+Run the conformance kit on a backend", output);
    }
}
