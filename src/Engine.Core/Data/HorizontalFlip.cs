namespace Engine.Core;

/// <summary>Mirrors the sample left–right with probability <see cref="Probability"/>. Spec: <c>flip</c> or <c>flip=P</c>.</summary>
public sealed class HorizontalFlip : SampleTransform
{
    /// <summary>Flips with probability <paramref name="probability"/> (0 to 1).</summary>
    public HorizontalFlip(double probability = 0.5)
    {
        if (probability is < 0 or > 1 || double.IsNaN(probability))
        {
            throw new ConfigurationException($"augmentation 'flip': probability {probability} is outside 0 to 1");
        }
        Probability = probability;
    }

    /// <summary>Chance of a flip.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public override string Name => "flip";

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override string Spec => Probability == 0.5 ? "flip" : $"flip={Format(Probability)}";

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, Shape shape, ref SampleRandom random)
    {
        if (random.Chance(Probability))
        {
            Flip(sample, shape);
        }
    }

    /// <summary>Mirrors every row of a C×H×W sample in place.</summary>
    public static void Flip(Span<float> sample, Shape shape)
    {
        int width = shape[2];
        int rows = shape[0] * shape[1];
        for (int r = 0; r < rows; r++)
        {
            sample.Slice(r * width, width).Reverse();
        }
    }
}
