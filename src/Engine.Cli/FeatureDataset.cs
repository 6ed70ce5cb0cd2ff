namespace Engine.Cli;

/// <summary>Precomputed feature vectors with their labels: the classical pipeline's training and test sets.</summary>
internal sealed class FeatureDataset(float[] features, int featureCount, int[] labels, IReadOnlyList<string> classNames) : ImageDataset
{
    /// <inheritdoc/>
    public override int Count => labels.Length;

    /// <inheritdoc/>
    public override Shape SampleShape { get; } = new(featureCount);

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames => classNames;

    /// <inheritdoc/>
    public override void CopySample(int index, Span<float> destination) => features.AsSpan(index * featureCount, featureCount).CopyTo(destination);

    /// <inheritdoc/>
    public override int GetLabel(int index) => labels[index];

    /// <summary>
    /// Standardises every feature to zero mean and unit variance with the statistics of
    /// <paramref name="train"/> (a constant feature is only centred), applied to each of <paramref name="sets"/>:
    /// SGD on a linear model converges far faster on standardised inputs.
    /// </summary>
    public static void Standardize(float[] train, int featureCount, params float[][] sets)
    {
        int n = train.Length / featureCount;
        var mean = new double[featureCount];
        var square = new double[featureCount];
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < featureCount; f++)
            {
                double v = train[(i * featureCount) + f];
                mean[f] += v;
                square[f] += v * v;
            }
        }
        var scale = new double[featureCount];
        for (int f = 0; f < featureCount; f++)
        {
            mean[f] /= n;
            double variance = Math.Max(0, (square[f] / n) - (mean[f] * mean[f]));
            scale[f] = variance > 1e-12 ? 1 / Math.Sqrt(variance) : 1;
        }
        foreach (float[] set in sets)
        {
            for (int i = 0; i < set.Length; i++)
            {
                int f = i % featureCount;
                set[i] = (float)((set[i] - mean[f]) * scale[f]);
            }
        }
    }
}
