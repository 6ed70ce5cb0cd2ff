namespace Engine.Core;

/// <summary>
/// Scales brightness, contrast and saturation by random factors, each uniform in [max(0, 1 − s), 1 + s]
/// for its strength s, in that order, clamping to [0, 1]. Meant for samples in [0, 1], so it belongs
/// before <c>normalize</c> (the pipeline enforces that). Saturation only changes 3-channel samples.
/// Spec: <c>jitter=S</c> (all three) or <c>jitter=B:C:S</c>.
/// </summary>
public sealed class ColorJitter : SampleTransform
{
    // ITU-R BT.601 luma weights: the grey that contrast and saturation pull towards.
    private const float R = 0.299f, G = 0.587f, B = 0.114f;

    /// <summary>Creates the jitter with the three strengths (each 0 or more; 0 leaves that property alone).</summary>
    public ColorJitter(double brightness, double contrast, double saturation)
    {
        foreach (var (name, v) in (ReadOnlySpan<(string, double)>)[("brightness", brightness), ("contrast", contrast), ("saturation", saturation)])
        {
            if (!(v >= 0) || !double.IsFinite(v))
            {
                throw new ConfigurationException($"augmentation 'jitter': {name} {v} must be 0 or more");
            }
        }
        (Brightness, Contrast, Saturation) = (brightness, contrast, saturation);
    }

    /// <summary>Brightness strength.</summary>
    public double Brightness { get; }

    /// <summary>Contrast strength.</summary>
    public double Contrast { get; }

    /// <summary>Saturation strength.</summary>
    public double Saturation { get; }

    /// <inheritdoc/>
    public override string Name => "jitter";

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override string Spec => Brightness == Contrast && Contrast == Saturation
        ? $"jitter={Format(Brightness)}"
        : $"jitter={Format(Brightness)}:{Format(Contrast)}:{Format(Saturation)}";

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, Shape shape, ref SampleRandom random)
    {
        // Three draws every time, used or not, so each property's factor does not depend on the others' settings.
        float b = Factor(Brightness, ref random), c = Factor(Contrast, ref random), s = Factor(Saturation, ref random);
        if (Brightness > 0)
        {
            AdjustBrightness(sample, b);
        }
        if (Contrast > 0)
        {
            AdjustContrast(sample, shape, c);
        }
        if (Saturation > 0)
        {
            AdjustSaturation(sample, shape, s);
        }
    }

    private static float Factor(double strength, ref SampleRandom random) =>
        (float)random.Uniform(Math.Max(0, 1 - strength), 1 + strength);

    /// <summary>x ← clamp(x·factor).</summary>
    public static void AdjustBrightness(Span<float> sample, float factor)
    {
        for (int i = 0; i < sample.Length; i++)
        {
            sample[i] = Math.Clamp(sample[i] * factor, 0f, 1f);
        }
    }

    /// <summary>x ← clamp(m + factor·(x − m)), m the mean grey level of the whole sample.</summary>
    public static void AdjustContrast(Span<float> sample, Shape shape, float factor)
    {
        int plane = shape[1] * shape[2];
        double sum = 0;
        for (int p = 0; p < plane; p++)
        {
            sum += Grey(sample, shape[0], plane, p);
        }
        float mean = (float)(sum / plane);
        for (int i = 0; i < sample.Length; i++)
        {
            sample[i] = Math.Clamp(mean + factor * (sample[i] - mean), 0f, 1f);
        }
    }

    /// <summary>x ← clamp(g + factor·(x − g)), g each pixel's grey level; grey samples are left alone.</summary>
    public static void AdjustSaturation(Span<float> sample, Shape shape, float factor)
    {
        if (shape[0] != 3)
        {
            return;
        }
        int plane = shape[1] * shape[2];
        for (int p = 0; p < plane; p++)
        {
            float g = Grey(sample, 3, plane, p);
            for (int c = 0; c < 3; c++)
            {
                ref float x = ref sample[c * plane + p];
                x = Math.Clamp(g + factor * (x - g), 0f, 1f);
            }
        }
    }

    private static float Grey(ReadOnlySpan<float> sample, int channels, int plane, int p) =>
        channels == 3 ? R * sample[p] + G * sample[plane + p] + B * sample[2 * plane + p] : sample[p];
}
