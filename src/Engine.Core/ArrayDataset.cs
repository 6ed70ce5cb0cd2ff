namespace Engine.Core;

/// <summary>
/// Labelled examples an application holds in arrays: samples as floats, row-major, one after another,
/// and one class index per sample. What the <see cref="Trainer"/> and <see cref="Trainer.Evaluate"/>
/// take, so integer labels train a classifier with no one-hot vectors built by hand.
/// </summary>
public sealed class ArrayDataset : ImageDataset
{
    private readonly float[] _samples;
    private readonly int[] _labels;
    private readonly int _sampleSize;

    /// <summary>Wraps <paramref name="samples"/> (labels.Length × <paramref name="sampleShape"/> values) and <paramref name="labels"/> in [0, <paramref name="classCount"/>); classes are named by number.</summary>
    public ArrayDataset(float[] samples, int[] labels, Shape sampleShape, int classCount)
        : this(samples, labels, sampleShape, Enumerable.Range(0, classCount).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray())
    {
    }

    /// <summary>Wraps <paramref name="samples"/> (labels.Length × <paramref name="sampleShape"/> values) and <paramref name="labels"/>, indices into <paramref name="classNames"/>.</summary>
    public ArrayDataset(float[] samples, int[] labels, Shape sampleShape, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        _sampleSize = checked((int)sampleShape.ElementCount);
        if ((long)labels.Length * _sampleSize != samples.Length)
        {
            throw new ShapeException($"{samples.Length} sample values do not make {labels.Length} samples of shape {sampleShape} ({(long)labels.Length * _sampleSize} values)");
        }
        if (classNames.Count == 0)
        {
            throw new ConfigurationException("an array data set needs at least one class");
        }
        int bad = Array.FindIndex(labels, l => l < 0 || l >= classNames.Count);
        if (bad >= 0)
        {
            throw new ConfigurationException($"label {labels[bad]} of sample {bad} is not a class index in [0, {classNames.Count - 1}]");
        }
        _samples = samples;
        _labels = labels;
        SampleShape = sampleShape;
        ClassNames = classNames;
    }

    /// <inheritdoc/>
    public override int Count => _labels.Length;

    /// <inheritdoc/>
    public override Shape SampleShape { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc/>
    public override void CopySample(int index, Span<float> destination) => _samples.AsSpan(index * _sampleSize, _sampleSize).CopyTo(destination);

    /// <inheritdoc/>
    public override int GetLabel(int index) => _labels[index];
}
