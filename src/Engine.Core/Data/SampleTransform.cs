namespace Engine.Core;

/// <summary>
/// One step of an augmentation pipeline, applied in place to one float sample C×H×W. Transforms keep
/// the sample's shape and are immutable once built, so one instance serves every thread; the
/// randomness comes in through the <see cref="SampleRandom"/> each call is given.
/// </summary>
public abstract class SampleTransform
{
    /// <summary>The name in a pipeline spec, e.g. <c>crop</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Whether the transform is random (training-only). Deterministic transforms such as
    /// normalisation are also applied at evaluation (see <see cref="AugmentationPipeline.ForEvaluation"/>).
    /// </summary>
    public abstract bool IsRandom { get; }

    /// <summary>The transform written back as a spec item, e.g. <c>crop=4</c>.</summary>
    public abstract string Spec { get; }

    /// <summary>Transforms <paramref name="sample"/> (shape <paramref name="shape"/>) in place.</summary>
    public abstract void Apply(Span<float> sample, Shape shape, ref SampleRandom random);

    /// <summary>Throws <see cref="ConfigurationException"/> when the transform cannot apply to samples of <paramref name="shape"/>.</summary>
    public virtual void Check(Shape shape)
    {
        if (shape.Rank != 3)
        {
            throw new ConfigurationException($"augmentation '{Spec}' needs C×H×W samples, not {shape}");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Spec;

    /// <summary>Formats a number for <see cref="Spec"/> the way it parses back.</summary>
    protected static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
