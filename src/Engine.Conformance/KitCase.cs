namespace Engine.Conformance;

/// <summary>
/// One conformance case: a name, the descriptors the backend must claim for it to run (the first
/// is the op blamed when the backend throws), the data type it runs in, a tolerance factor over the
/// backend's declared tolerance (for long accumulations) and the body, which throws
/// <see cref="ConformanceFailure"/> when the backend's answer is wrong.
/// </summary>
internal sealed record KitCase(string Name, IReadOnlyList<OpDescriptor> Needs, DataType Type, Action<CaseContext> Body)
{
    /// <summary>Multiplies the backend's declared tolerance for this case.</summary>
    public double ToleranceFactor { get; init; } = 1;

    /// <summary>
    /// Whether an exception is blamed on the first descriptor of <see cref="Needs"/> (op cases), or
    /// reported with the exception alone (layers, losses, optimisers, whose exception names the op).
    /// </summary>
    public bool BlameFirstNeed { get; init; } = true;

    /// <summary>A case that needs one descriptor.</summary>
    public static KitCase Of(string name, OpDescriptor needs, Action<CaseContext> body, double factor = 1) =>
        new(name, [needs], needs.DataType, body) { ToleranceFactor = factor };
}
