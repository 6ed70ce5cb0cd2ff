using System.Globalization;

namespace Engine.Conformance;

/// <summary>How one conformance case ended.</summary>
public enum CaseStatus
{
    /// <summary>The backend agreed with the reference.</summary>
    Pass,

    /// <summary>The backend disagreed, or threw for an op it claims.</summary>
    Fail,

    /// <summary>Not run: the backend does not claim the op (or the reference cannot run it).</summary>
    Skip,
}

/// <summary>One line of a conformance run: the case, how it ended and why.</summary>
/// <param name="Status">Pass, fail or skip.</param>
/// <param name="Name">What was checked, e.g. <c>convolution float32 2-D k3×3 s1,1 p1,1/1,1 [2,3,7,6] forward</c>.</param>
/// <param name="Detail">For a failure, what differed and by how much; for a skip, why; otherwise null.</param>
public sealed record CaseResult(CaseStatus Status, string Name, string? Detail = null)
{
    /// <summary>The line printed for the case: <c>pass  NAME</c>, <c>FAIL  NAME: DETAIL</c> or <c>skip  NAME: DETAIL</c>.</summary>
    public override string ToString()
    {
        string tag = Status switch
        {
            CaseStatus.Pass => "pass",
            CaseStatus.Fail => "FAIL",
            _ => "skip",
        };
        return Detail is null ? $"{tag}  {Name}" : $"{tag}  {Name}: {Detail}";
    }
}

/// <summary>Counts of a conformance run.</summary>
/// <param name="Passed">Cases the backend passed.</param>
/// <param name="Failed">Cases the backend failed.</param>
/// <param name="Skipped">Cases not run (not claimed, or not checkable here).</param>
public sealed record ConformanceSummary(int Passed, int Failed, int Skipped)
{
    /// <summary>The last line of a run: exactly <c>N passed, N failed</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Passed} passed, {Failed} failed");
}
