using Engine.Conformance;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>The whole conformance kit on the cudnn backend, run on the CPU through the shim's host emulator.</summary>
public sealed class KitOnEmulatorTests
{
    /// <summary>The count when this was written (every case the OpenBLAS backend passes): fewer means cases stopped running.</summary>
    private const int MinimumPassed = 390;

    [Fact]
    public void TheCudnnBackendPassesTheWholeKitOnTheEmulator()
    {
        IBackendProvider provider = Emulator.EngineHost.Catalog.Backend("cudnn");
        BackendProbe probe = provider.Probe();
        Assert.True(probe.IsAvailable, probe.Detail);
        Assert.Contains("host emulation of the cuDNN shim", probe.Detail, StringComparison.Ordinal);

        using IBackend backend = Emulator.EngineHost.CreateBackend("cudnn");
        using IBackend reference = Emulator.EngineHost.CreateBackend("cpu");
        var results = new List<CaseResult>();
        var options = new ConformanceOptions { Reference = reference, Catalog = Emulator.EngineHost.Catalog };
        ConformanceSummary summary = ConformanceKit.Run(backend, options, results.Add);

        var failures = results.Where(r => r.Status == CaseStatus.Fail).Select(r => r.ToString()).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} failed:\n{string.Join('\n', failures)}");
        Assert.True(summary.Passed >= MinimumPassed, $"{summary.Passed} cases passed; expected at least {MinimumPassed}");
        // What is skipped is only what the OpenBLAS backend skips too: float32 gradient checks and dropout's.
        Assert.All(results.Where(r => r.Status == CaseStatus.Skip), r => Assert.True(
            r.Name.StartsWith("gradient check float32 ", StringComparison.Ordinal) || r.Detail!.Contains("new mask per pass", StringComparison.Ordinal),
            r.ToString()));
        var passed = results.Where(r => r.Status == CaseStatus.Pass).Select(r => r.Name).ToList();
        foreach (BackendOp op in Enum.GetValues<BackendOp>())
        {
            foreach (string type in new[] { "float32", "float64" })
            {
                Assert.True(passed.Any(n => n.StartsWith(OpNames.Of(op) + " ", StringComparison.Ordinal) && n.Contains($" {type}", StringComparison.Ordinal)),
                    $"no passing case for {OpNames.Of(op)} in {type}");
            }
        }
    }
}
