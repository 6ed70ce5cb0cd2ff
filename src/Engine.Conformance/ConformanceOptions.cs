using Engine.Core;

namespace Engine.Conformance;

/// <summary>What a conformance run checks, and against what.</summary>
public sealed class ConformanceOptions
{
    /// <summary>
    /// The reference backend for layers, losses and optimisers (run in float64): the CPU backend.
    /// Null runs the op cases only (against the kit's own float64 references) and skips the rest.
    /// </summary>
    public IBackend? Reference { get; init; }

    /// <summary>Registered layers, losses and optimisers to check; null skips them.</summary>
    public ComponentCatalog? Catalog { get; init; }

    /// <summary>Runs only cases whose name contains this text (case-insensitive); null runs all.</summary>
    public string? Filter { get; init; }

    /// <summary>Whether to print skipped cases (each names why); their count is reported either way.</summary>
    public bool ReportSkipped { get; init; } = true;
}
