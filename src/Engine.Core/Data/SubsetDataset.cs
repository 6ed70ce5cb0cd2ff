namespace Engine.Core;

/// <summary>
/// A view of some examples of another data set, in the order given: validation splits, k-fold
/// folds, quick runs on a prefix. Reads go to the underlying set, so no pixels are copied.
/// </summary>
public sealed class SubsetDataset : ImageDataset, IEpochAwareDataset
{
    private readonly ImageDataset _source;
    private readonly int[] _indices;

    /// <summary>Examples <paramref name="indices"/> of <paramref name="source"/>.</summary>
    public SubsetDataset(ImageDataset source, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)source.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} is outside the data set of {source.Count} examples");
            }
        }
        _source = source;
        _indices = indices.ToArray();
    }

    /// <summary>The data set this is a view of.</summary>
    public ImageDataset Source => _source;

    /// <summary>Indices into <see cref="Source"/>.</summary>
    public ReadOnlySpan<int> Indices => _indices;

    /// <inheritdoc/>
    public override int Count => _indices.Length;

    /// <inheritdoc/>
    public override Shape SampleShape => _source.SampleShape;

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames => _source.ClassNames;

    /// <inheritdoc/>
    public override void CopySample(int index, Span<float> destination) => _source.CopySample(_indices[index], destination);

    /// <inheritdoc/>
    public override int GetLabel(int index) => _source.GetLabel(_indices[index]);

    /// <summary>Passes the epoch on when the underlying set depends on it.</summary>
    public void BeginEpoch(int epoch) => (_source as IEpochAwareDataset)?.BeginEpoch(epoch);
}
