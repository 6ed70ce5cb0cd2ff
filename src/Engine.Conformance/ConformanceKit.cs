namespace Engine.Conformance;

/// <summary>
/// Runs every conformance case against a backend: each op family and descriptor family of
/// <see cref="IBackend"/> in every data type the backend claims through
/// <see cref="IBackend.Supports"/> (what it does not claim is skipped, with a line saying so),
/// compared with float64 references within the tolerances of <see cref="IBackend.Traits"/>; every
/// registered layer (forward and backward), loss and optimiser against the reference backend in
/// float64; and finite-difference gradient checks through the backend. A backend that claims an op
/// and then throws fails the case that named it; nothing it does ends the run.
/// </summary>
public static class ConformanceKit
{
    /// <summary>The floating-point data types the kit tries in every family.</summary>
    internal static readonly DataType[] FloatTypes = [DataType.Float32, DataType.Float64];

    /// <summary>Runs the kit on <paramref name="backend"/>, calling <paramref name="report"/> once per case in order.</summary>
    public static ConformanceSummary Run(IBackend backend, ConformanceOptions options, Action<CaseResult> report)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(report);
        var environment = new KitEnvironment(backend, options.Reference, options.Catalog);
        int passed = 0, failed = 0, skipped = 0;
        foreach (KitCase c in Cases(environment))
        {
            if (options.Filter is { } filter && !c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            CaseResult result = RunCase(backend, c);
            switch (result.Status)
            {
                case CaseStatus.Pass:
                    passed++;
                    break;
                case CaseStatus.Fail:
                    failed++;
                    break;
                default:
                    skipped++;
                    break;
            }
            if (result.Status != CaseStatus.Skip || options.ReportSkipped)
            {
                report(result);
            }
        }
        return new ConformanceSummary(passed, failed, skipped);
    }

    /// <summary>Every case, in the order they run: ops first, then layers, losses, optimisers and gradient checks.</summary>
    internal static IEnumerable<KitCase> Cases(KitEnvironment environment) =>
        MemoryCases.Cases()
            .Concat(ElementwiseCases.Cases())
            .Concat(ReductionCases.Cases())
            .Concat(ActivationCases.Cases())
            .Concat(GemmCases.Cases())
            .Concat(ConvolutionCases.Cases())
            .Concat(PoolingCases.Cases())
            .Concat(NormalizationCases.Cases())
            .Concat(ChannelCases.Cases())
            .Concat(ChannelAffineCases.Cases())
            .Concat(ConvolutionEpilogueCases.Cases())
            .Concat(ConvolutionBiasActivationCases.Cases())
            .Concat(RandomCases.Cases())
            .Concat(OptimizerUpdateCases.Cases())
            .Concat(TrainingStepCases.Cases())
            .Concat(ContractCases.Cases())
            .Concat(LayerCases.Cases(environment))
            .Concat(LossCases.Cases(environment))
            .Concat(OptimizerCases.Cases(environment))
            .Concat(GradientCheckCases.Cases(environment));

    internal static CaseResult RunCase(IBackend backend, KitCase c)
    {
        OpDescriptor? missing;
        try
        {
            missing = c.Needs.FirstOrDefault(d => !backend.Supports(d));
        }
        catch (Exception e)
        {
            return new CaseResult(CaseStatus.Fail, c.Name, $"Supports threw {e.GetType().Name}: {e.Message}");
        }
        if (missing is not null)
        {
            return new CaseResult(CaseStatus.Skip, c.Name, $"not claimed by the backend ({missing})");
        }
        try
        {
            BackendTraits traits = backend.Traits;
            double tolerance = (c.Type == DataType.Float64 ? traits.Float64Tolerance : traits.Float32Tolerance) * c.ToleranceFactor;
            using var context = new CaseContext(backend, c.Type, tolerance, traits);
            c.Body(context);
            return new CaseResult(CaseStatus.Pass, c.Name);
        }
        catch (ConformanceFailure f)
        {
            return new CaseResult(CaseStatus.Fail, c.Name, f.Message);
        }
        catch (CaseSkipped s)
        {
            return new CaseResult(CaseStatus.Skip, c.Name, s.Message);
        }
        catch (Exception e)
        {
            string claimed = c.BlameFirstNeed && c.Needs.Count > 0 ? $"the backend claims '{c.Needs[0]}' but threw" : "the backend threw";
            return new CaseResult(CaseStatus.Fail, c.Name, $"{claimed} {e.GetType().Name}: {e.Message}");
        }
    }
}

/// <summary>What the case lists are built from.</summary>
internal sealed record KitEnvironment(IBackend Backend, IBackend? Reference, Engine.Core.ComponentCatalog? Catalog);
