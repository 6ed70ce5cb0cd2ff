namespace Engine.Core;

/// <summary>
/// Shifts the sample by up to <see cref="FractionX"/>·W horizontally and <see cref="FractionY"/>·H
/// vertically (each uniform, either way; sub-pixel shifts interpolate bilinearly), zero fill.
/// Spec: <c>translate=F</c> (both directions) or <c>translate=FX/FY</c>.
/// </summary>
public sealed class RandomTranslation : SampleTransform
{
    /// <summary>Shifts by up to the given fractions (0 to 1) of the width and height.</summary>
    public RandomTranslation(double fractionX, double fractionY)
    {
        foreach (double f in (double[])[fractionX, fractionY])
        {
            if (f is < 0 or > 1 || double.IsNaN(f))
            {
                throw new ConfigurationException($"augmentation 'translate': fraction {f} is outside 0 to 1");
            }
        }
        FractionX = fractionX;
        FractionY = fractionY;
    }

    /// <summary>Largest horizontal shift as a fraction of the width.</summary>
    public double FractionX { get; }

    /// <summary>Largest vertical shift as a fraction of the height.</summary>
    public double FractionY { get; }

    /// <inheritdoc/>
    public override string Name => "translate";

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override string Spec => FractionX == FractionY ? $"translate={Format(FractionX)}" : $"translate={Format(FractionX)}/{Format(FractionY)}";

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, Shape shape, ref SampleRandom random)
    {
        double dx = random.Uniform(-FractionX, FractionX) * shape[2];
        double dy = random.Uniform(-FractionY, FractionY) * shape[1];
        AffineSampler.WarpInPlace(sample, shape, 1, 0, 0, 1, -dx, -dy);
    }

    /// <summary>Writes <paramref name="source"/> moved right by <paramref name="dx"/> and down by <paramref name="dy"/> pixels into <paramref name="destination"/>.</summary>
    public static void Translate(ReadOnlySpan<float> source, Span<float> destination, Shape shape, double dx, double dy) =>
        AffineSampler.Warp(source, destination, shape, 1, 0, 0, 1, -dx, -dy);
}
