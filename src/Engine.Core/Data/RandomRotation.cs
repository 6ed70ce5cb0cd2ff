namespace Engine.Core;

/// <summary>
/// Rotates the sample about its centre by an angle uniform in [−<see cref="Degrees"/>, +<see cref="Degrees"/>]
/// (positive = anticlockwise as displayed), bilinear, zero fill. Spec: <c>rotate=DEG</c>.
/// </summary>
public sealed class RandomRotation : SampleTransform
{
    /// <summary>Rotates by up to <paramref name="degrees"/> (0 to 180) either way.</summary>
    public RandomRotation(double degrees)
    {
        if (degrees is < 0 or > 180 || double.IsNaN(degrees))
        {
            throw new ConfigurationException($"augmentation 'rotate': {degrees} degrees is outside 0 to 180");
        }
        Degrees = degrees;
    }

    /// <summary>Largest rotation either way, in degrees.</summary>
    public double Degrees { get; }

    /// <inheritdoc/>
    public override string Name => "rotate";

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override string Spec => $"rotate={Format(Degrees)}";

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, Shape shape, ref SampleRandom random)
    {
        double angle = random.Uniform(-Degrees, Degrees);
        double t = angle * Math.PI / 180;
        AffineSampler.WarpInPlace(sample, shape, Math.Cos(t), -Math.Sin(t), Math.Sin(t), Math.Cos(t), 0, 0);
    }

    /// <summary>Writes <paramref name="source"/> rotated anticlockwise by <paramref name="degrees"/> into <paramref name="destination"/>.</summary>
    public static void Rotate(ReadOnlySpan<float> source, Span<float> destination, Shape shape, double degrees)
    {
        double t = degrees * Math.PI / 180;
        double cos = Math.Cos(t), sin = Math.Sin(t);
        // Output offset (x', y') comes from source offset (x' cos − y' sin, x' sin + y' cos) with y down.
        AffineSampler.Warp(source, destination, shape, cos, -sin, sin, cos, 0, 0);
    }
}
