namespace Engine;

/// <summary>Reads a data set from a folder of files in its original format.</summary>
public interface IDatasetLoader
{
    /// <summary>Name users write, e.g. <c>mnist</c>.</summary>
    string Name { get; }

    /// <summary>One line for listings: the data set, its format and the files it expects.</summary>
    string Description { get; }

    /// <summary>
    /// Loads the training and test splits from <paramref name="directory"/>. Throws
    /// <see cref="DataFormatException"/> naming the file and the problem when anything is missing or malformed.
    /// </summary>
    DatasetSplits Load(string directory);
}

/// <summary>The splits of a data set.</summary>
/// <param name="Train">Training examples.</param>
/// <param name="Test">Held-out test examples.</param>
public sealed record DatasetSplits(ImageDataset Train, ImageDataset Test);

/// <summary>Labelled images held in host memory, read one sample at a time into a batch buffer.</summary>
public abstract class ImageDataset
{
    /// <summary>Number of examples.</summary>
    public abstract int Count { get; }

    /// <summary>Per-sample shape, C×H×W.</summary>
    public abstract Shape SampleShape { get; }

    /// <summary>Class names in label order.</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>Writes example <paramref name="index"/> as floats (C×H×W) into <paramref name="destination"/>.</summary>
    public abstract void CopySample(int index, Span<float> destination);

    /// <summary>The class label of example <paramref name="index"/>.</summary>
    public abstract int GetLabel(int index);
}

/// <summary>
/// Images stored as bytes (0–255) with byte labels, converted to floats as x·<see cref="Scale"/>
/// + <see cref="Offset"/> when read.
/// </summary>
public sealed class ByteImageDataset : ImageDataset
{
    private readonly byte[] _pixels;
    private readonly byte[] _labels;
    private readonly int _sampleSize;

    /// <summary>Wraps pixel and label arrays; pixels hold <paramref name="labels"/>.Length samples of <paramref name="sampleShape"/>.</summary>
    public ByteImageDataset(byte[] pixels, byte[] labels, Shape sampleShape, IReadOnlyList<string> classNames, float scale = 1f / 255f, float offset = 0f)
    {
        _sampleSize = checked((int)sampleShape.ElementCount);
        if ((long)labels.Length * _sampleSize != pixels.Length)
        {
            throw new ArgumentException($"{pixels.Length} pixel bytes do not make {labels.Length} samples of {sampleShape}");
        }
        _pixels = pixels;
        _labels = labels;
        SampleShape = sampleShape;
        ClassNames = classNames;
        Scale = scale;
        Offset = offset;
    }

    /// <inheritdoc/>
    public override int Count => _labels.Length;

    /// <inheritdoc/>
    public override Shape SampleShape { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames { get; }

    /// <summary>Multiplier applied to each byte.</summary>
    public float Scale { get; }

    /// <summary>Added after scaling.</summary>
    public float Offset { get; }

    /// <summary>Raw bytes of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> GetPixels(int index) => _pixels.AsSpan(index * _sampleSize, _sampleSize);

    /// <inheritdoc/>
    public override void CopySample(int index, Span<float> destination)
    {
        ReadOnlySpan<byte> source = GetPixels(index);
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i] * Scale + Offset;
        }
    }

    /// <inheritdoc/>
    public override int GetLabel(int index) => _labels[index];

    /// <summary>The first <paramref name="count"/> examples (for quick runs and tests).</summary>
    public ByteImageDataset Take(int count)
    {
        count = Math.Min(count, Count);
        return new ByteImageDataset(_pixels[..(count * _sampleSize)], _labels[..count], SampleShape, ClassNames, Scale, Offset);
    }
}
