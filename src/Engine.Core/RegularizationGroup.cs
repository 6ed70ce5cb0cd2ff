namespace Engine.Core;

/// <summary>
/// Weight penalties for the parameters whose names match <see cref="Pattern"/>:
/// λ₁·Σ|w| + λ₂·Σw² (L1 for λ₂ = 0, L2 for λ₁ = 0, elastic net for both). Biases are usually left
/// out by selecting <c>*.weight</c>.
/// </summary>
public sealed record RegularizationGroup
{
    /// <summary>Creates a group; both coefficients must be finite and ≥ 0.</summary>
    public RegularizationGroup(string pattern, double l1 = 0, double l2 = 0)
    {
        Pattern = new NamePattern(pattern);
        L1 = Coefficient(nameof(l1), l1);
        L2 = Coefficient(nameof(l2), l2);
    }

    /// <summary>Which parameters the group applies to.</summary>
    public NamePattern Pattern { get; }

    /// <summary>λ₁, the L1 coefficient: penalty λ₁Σ|w|, gradient λ₁·sign(w) (0 at 0).</summary>
    public double L1 { get; }

    /// <summary>λ₂, the L2 coefficient: penalty λ₂Σw², gradient 2λ₂w.</summary>
    public double L2 { get; }

    /// <summary>An L2 (weight decay) group.</summary>
    public static RegularizationGroup Ridge(string pattern, double l2) => new(pattern, l2: l2);

    /// <summary>An L1 (lasso) group.</summary>
    public static RegularizationGroup Lasso(string pattern, double l1) => new(pattern, l1: l1);

    /// <summary>An elastic-net group (L1 and L2).</summary>
    public static RegularizationGroup ElasticNet(string pattern, double l1, double l2) => new(pattern, l1, l2);

    /// <inheritdoc/>
    public override string ToString() => $"{Pattern}: l1 {L1}, l2 {L2}";

    private static double Coefficient(string name, double value) =>
        double.IsFinite(value) && value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"regularisation coefficient {name} must be a finite number ≥ 0");
}
