using Engine.Conformance;

namespace Engine.Backend.Conformance.Tests;

/// <summary>The whole kit on every available backend (openblas on a CPU-only machine), and what it must cover.</summary>
public sealed class KitTests
{
    /// <summary>The OpenBLAS backend's case count when this was written: a kit that silently stops generating cases fails.</summary>
    private const int MinimumOpenBlasCases = 370;

    public static TheoryData<string> Names => Backends.Available();

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryCaseTheBackendClaimsPasses(string name)
    {
        using IBackend backend = Backends.Create(name);
        var (summary, results) = Backends.RunKit(backend);
        var failures = results.Where(r => r.Status == CaseStatus.Fail).Select(r => r.ToString()).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} failed:\n{string.Join('\n', failures)}");
        Assert.Equal(results.Count, summary.Passed + summary.Skipped);
        Assert.All(results.Where(r => r.Status == CaseStatus.Skip), r => Assert.False(string.IsNullOrWhiteSpace(r.Detail)));
    }

    [Fact]
    public void OpenBlasPassesEveryOpFamilyInBothTypesAndEveryLayerLossAndOptimizer()
    {
        using IBackend backend = Backends.Create("openblas");
        var (summary, results) = Backends.RunKit(backend);
        Assert.Equal(0, summary.Failed);
        Assert.True(summary.Passed >= MinimumOpenBlasCases, $"{summary.Passed} cases passed; expected at least {MinimumOpenBlasCases}");
        var passed = results.Where(r => r.Status == CaseStatus.Pass).Select(r => r.Name).ToList();

        foreach (BackendOp op in Enum.GetValues<BackendOp>())
        {
            foreach (string type in new[] { "float32", "float64" })
            {
                Assert.True(passed.Any(n => n.StartsWith(OpNames.Of(op) + " ", StringComparison.Ordinal) && n.Contains($" {type}", StringComparison.Ordinal)),
                    $"no passing case for {OpNames.Of(op)} in {type}");
            }
        }
        Assert.Contains(passed, n => n.StartsWith("memory int32", StringComparison.Ordinal));
        foreach (ILayerFactory layer in Backends.Catalog.Layers)
        {
            Assert.Contains(passed, n => n.StartsWith($"layer float32 {layer.Name} ", StringComparison.Ordinal));
            Assert.Contains(passed, n => n.StartsWith($"layer float64 {layer.Name} ", StringComparison.Ordinal));
            Assert.Contains(results, r => r.Name.StartsWith($"gradient check float64 {layer.Name} ", StringComparison.Ordinal));
        }
        foreach (ILossFactory loss in Backends.Catalog.Losses)
        {
            Assert.Contains(passed, n => n.StartsWith($"loss {loss.Name} float32", StringComparison.Ordinal));
        }
        foreach (IOptimizerFactory optimizer in Backends.Catalog.Optimizers)
        {
            Assert.Contains(passed, n => n.StartsWith($"optimizer {optimizer.Name} float32", StringComparison.Ordinal));
        }
        // Every layer's gradient is checked by finite differences, except one whose forward pass draws a new mask each time.
        var gradientSkips = results.Where(r => r.Name.StartsWith("gradient check float64", StringComparison.Ordinal) && r.Status == CaseStatus.Skip).ToList();
        Assert.All(gradientSkips, r => Assert.Contains("new mask per pass", r.Detail, StringComparison.Ordinal));
        Assert.True(gradientSkips.Count <= 1);
        // float32 gradient checks are for backends without float64.
        Assert.All(results.Where(r => r.Name.StartsWith("gradient check float32", StringComparison.Ordinal)), r =>
        {
            Assert.Equal(CaseStatus.Skip, r.Status);
            Assert.Equal("checked in float64, which the backend claims for this layer", r.Detail);
        });
    }

    [Fact]
    public void LinesHaveTheDocumentedForm()
    {
        Assert.Equal("pass  gemm float32 [7, 5]", new CaseResult(CaseStatus.Pass, "gemm float32 [7, 5]").ToString());
        Assert.Equal("FAIL  x: max relative error 0.03 at index 17 > 1E-05", new CaseResult(CaseStatus.Fail, "x", "max relative error 0.03 at index 17 > 1E-05").ToString());
        Assert.Equal("12 passed, 3 failed", new ConformanceSummary(12, 3, 4).ToString());
    }
}
