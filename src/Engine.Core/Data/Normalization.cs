namespace Engine.Core;

/// <summary>
/// x ← (x − mean[c]) / std[c] per channel c; one value applies to every channel. Deterministic, so it is
/// kept in the evaluation pipeline. Spec: <c>normalize=M1/M2/M3:S1/S2/S3</c> or <c>normalize=M:S</c>.
/// </summary>
public sealed class Normalization : SampleTransform
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates the normalisation; <paramref name="mean"/> and <paramref name="std"/> have one value or one per channel, std &gt; 0.</summary>
    public Normalization(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || std.Count == 0 || (mean.Count != std.Count && mean.Count != 1 && std.Count != 1))
        {
            throw new ConfigurationException($"augmentation 'normalize': {mean.Count} mean value(s) and {std.Count} std value(s); give one value or one per channel for each");
        }
        foreach (double s in std)
        {
            if (!(s > 0) || !double.IsFinite(s))
            {
                throw new ConfigurationException($"augmentation 'normalize': std {s} must be positive");
            }
        }
        _mean = mean.Select(m => (float)m).ToArray();
        _std = std.Select(s => (float)s).ToArray();
    }

    /// <summary>Per-channel means (or one for all).</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>Per-channel standard deviations (or one for all).</summary>
    public IReadOnlyList<float> Std => _std;

    /// <inheritdoc/>
    public override string Name => "normalize";

    /// <inheritdoc/>
    public override bool IsRandom => false;

    /// <inheritdoc/>
    public override string Spec =>
        $"normalize={string.Join("/", _mean.Select(FormatFloat))}:{string.Join("/", _std.Select(FormatFloat))}";

    // Printed at float precision: the values are held as floats, and 0.4914f reads back as 0.4914.
    private static string FormatFloat(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override void Check(Shape shape)
    {
        base.Check(shape);
        int channels = shape[0];
        if ((_mean.Length != 1 && _mean.Length != channels) || (_std.Length != 1 && _std.Length != channels))
        {
            throw new ConfigurationException(
                $"augmentation '{Spec}': {_mean.Length} mean and {_std.Length} std value(s) do not fit samples of {channels} channel(s) ({shape})");
        }
    }

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, Shape shape, ref SampleRandom random)
    {
        int channels = shape[0];
        int plane = sample.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            float mean = _mean[_mean.Length == 1 ? 0 : c];
            float inv = 1f / _std[_std.Length == 1 ? 0 : c];
            Span<float> p = sample.Slice(c * plane, plane);
            for (int i = 0; i < p.Length; i++)
            {
                p[i] = (p[i] - mean) * inv;
            }
        }
    }
}
