namespace Engine.Core;

/// <summary>
/// A data set whose samples pass through an <see cref="AugmentationPipeline"/> as they are read.
/// The randomness of sample i in epoch e is a function of (seed, e, i) only, so it is reproducible,
/// independent of batch order, and safe to read from several threads at once (for different or the
/// same indices): the only mutable state is the epoch number, set between epochs.
/// </summary>
public sealed class AugmentedDataset : ImageDataset, IEpochAwareDataset
{
    private readonly ImageDataset _source;
    private volatile int _epoch = 1;

    /// <summary>Wraps <paramref name="source"/>; transforms are checked against its sample shape here.</summary>
    /// <exception cref="ConfigurationException">A transform does not fit the sample shape.</exception>
    public AugmentedDataset(ImageDataset source, AugmentationPipeline pipeline, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(pipeline);
        pipeline.Check(source.SampleShape);
        _source = source;
        Pipeline = pipeline;
        Seed = seed;
    }

    /// <summary>The data set read from.</summary>
    public ImageDataset Source => _source;

    /// <summary>The transforms applied.</summary>
    public AugmentationPipeline Pipeline { get; }

    /// <summary>The augmentation seed.</summary>
    public ulong Seed { get; }

    /// <summary>The epoch whose randomness reads use (1 until <see cref="BeginEpoch"/> is called).</summary>
    public int Epoch => _epoch;

    /// <inheritdoc/>
    public override int Count => _source.Count;

    /// <inheritdoc/>
    public override Shape SampleShape => _source.SampleShape;

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames => _source.ClassNames;

    /// <inheritdoc/>
    public override int GetLabel(int index) => _source.GetLabel(index);

    /// <inheritdoc/>
    public override void CopySample(int index, Span<float> destination)
    {
        _source.CopySample(index, destination);
        Pipeline.Apply(destination[..checked((int)SampleShape.ElementCount)], SampleShape, Seed, _epoch, index);
    }

    /// <summary>Selects epoch <paramref name="epoch"/>'s randomness, and passes the epoch on to the source.</summary>
    public void BeginEpoch(int epoch)
    {
        _epoch = epoch;
        (_source as IEpochAwareDataset)?.BeginEpoch(epoch);
    }
}
