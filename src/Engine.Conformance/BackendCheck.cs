using Engine.Core;

namespace Engine.Conformance;

/// <summary>
/// <c>check-backend NAME</c> for the <c>engine</c> command and the self-contained runner: resolves the
/// backend under test and the reference backend from a catalogue, runs the kit, prints one line per
/// case and ends with <c>N passed, N failed</c>.
/// </summary>
public static class BackendCheck
{
    /// <summary>The reference backend used unless another is named: the first available CPU backend.</summary>
    public const string DefaultReference = "cpu";

    /// <summary>
    /// Runs the kit on backend <paramref name="name"/> and returns the exit code: 0 when nothing
    /// failed, 1 otherwise. An unknown or unavailable backend is one error line and exit code 1.
    /// </summary>
    public static int Run(ComponentCatalog catalog, string name, string reference, string? filter, bool showSkipped, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        IBackendProvider provider;
        IBackendProvider referenceProvider;
        try
        {
            provider = catalog.Backend(name);
            referenceProvider = catalog.Backend(reference);
        }
        catch (ConfigurationException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
        if (Unavailable(provider, error))
        {
            return 1;
        }
        IBackend backend;
        try
        {
            backend = provider.Create();
        }
        catch (Exception e)
        {
            // A plugin's own failure: reported as the backend's, in one line, not as a crash.
            error.WriteLine($"error: backend '{provider.Name}' could not be created: {e.GetType().Name}: {e.Message}");
            return 1;
        }
        using var owned = backend;
        // Without a reference backend the op cases still run against the kit's own references.
        IBackend? referenceBackend = null;
        BackendProbe referenceProbe = referenceProvider.Probe();
        if (referenceProbe.IsAvailable)
        {
            referenceBackend = referenceProvider.Create();
        }
        try
        {
            output.WriteLine($"backend:   {backend.Name} ({backend.Description})");
            output.WriteLine($"traits:    float32 tolerance {backend.Traits.Float32Tolerance:G3}, float64 tolerance {backend.Traits.Float64Tolerance:G3}, " +
                $"max-pool ties {backend.Traits.MaxPoolTies}, {(backend.Traits.Deterministic ? "deterministic" : "not deterministic")}");
            output.WriteLine(referenceBackend is null
                ? $"reference: none ({referenceProvider.Name} is unavailable: {referenceProbe.Detail}); layers, losses, optimisers and gradient checks are skipped"
                : $"reference: {referenceBackend.Name} in float64, and the kit's float64 references for each op");
            var options = new ConformanceOptions { Reference = referenceBackend, Catalog = catalog, Filter = filter, ReportSkipped = showSkipped };
            ConformanceSummary summary = ConformanceKit.Run(backend, options, result => output.WriteLine(result.ToString()));
            if (summary.Skipped > 0)
            {
                output.WriteLine($"{summary.Skipped} skipped (not claimed by the backend, or not checkable here)");
            }
            output.WriteLine(summary.ToString());
            return summary.Failed == 0 ? 0 : 1;
        }
        finally
        {
            referenceBackend?.Dispose();
        }
    }

    private static bool Unavailable(IBackendProvider provider, TextWriter error)
    {
        BackendProbe probe = provider.Probe();
        if (!probe.IsAvailable)
        {
            error.WriteLine($"error: backend '{provider.Name}' is unavailable: {probe.Detail}");
            return true;
        }
        return false;
    }
}
