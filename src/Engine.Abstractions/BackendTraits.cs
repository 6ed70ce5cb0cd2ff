namespace Engine;

/// <summary>
/// What a backend declares about where its results may differ from the CPU reference, so that the
/// conformance kit compares within the right bounds rather than failing on a documented difference.
/// </summary>
public sealed record BackendTraits
{
    /// <summary>The CPU reference's traits: float32 to 1e-5 relative, float64 to 1e-12, first-index ties.</summary>
    public static BackendTraits Reference { get; } = new();

    /// <summary>Largest relative error of float32 results against the float64 reference (TF32 math needs about 1e-3).</summary>
    public double Float32Tolerance { get; init; } = 1e-5;

    /// <summary>Largest relative error of float64 results against the float64 reference.</summary>
    public double Float64Tolerance { get; init; } = 1e-12;

    /// <summary>How max pooling breaks ties between equal values in a window, forward and backward.</summary>
    public MaxPoolTieRule MaxPoolTies { get; init; } = MaxPoolTieRule.FirstIndex;

    /// <summary>Whether two runs with the same inputs give bit-identical results (atomics in a GPU kernel may not).</summary>
    public bool Deterministic { get; init; } = true;
}

/// <summary>Which element of a window with several equal maxima receives the gradient.</summary>
public enum MaxPoolTieRule
{
    /// <summary>The first in row-major window order (the CPU reference, PyTorch's CPU kernels).</summary>
    FirstIndex,

    /// <summary>Any one of them (cuDNN): compare only where the window's maximum is unique.</summary>
    Any,
}
