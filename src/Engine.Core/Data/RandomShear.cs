namespace Engine.Core;

/// <summary>
/// Shears the sample horizontally about its centre by an angle uniform in [−<see cref="Degrees"/>,
/// +<see cref="Degrees"/>]: a pixel at offset y below the centre moves right by y·tan(angle).
/// Bilinear, zero fill. Spec: <c>shear=DEG</c>.
/// </summary>
public sealed class RandomShear : SampleTransform
{
    /// <summary>Shears by up to <paramref name="degrees"/> (0 to 80) either way.</summary>
    public RandomShear(double degrees)
    {
        if (degrees is < 0 or > 80 || double.IsNaN(degrees))
        {
            throw new ConfigurationException($"augmentation 'shear': {degrees} degrees is outside 0 to 80");
        }
        Degrees = degrees;
    }

    /// <summary>Largest shear angle either way, in degrees.</summary>
    public double Degrees { get; }

    /// <inheritdoc/>
    public override string Name => "shear";

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override string Spec => $"shear={Format(Degrees)}";

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, Shape shape, ref SampleRandom random)
    {
        double k = Math.Tan(random.Uniform(-Degrees, Degrees) * Math.PI / 180);
        AffineSampler.WarpInPlace(sample, shape, 1, -k, 0, 1, 0, 0);
    }

    /// <summary>Writes <paramref name="source"/> sheared by <paramref name="degrees"/> into <paramref name="destination"/>.</summary>
    public static void Shear(ReadOnlySpan<float> source, Span<float> destination, Shape shape, double degrees) =>
        AffineSampler.Warp(source, destination, shape, 1, -Math.Tan(degrees * Math.PI / 180), 0, 1, 0, 0);
}
