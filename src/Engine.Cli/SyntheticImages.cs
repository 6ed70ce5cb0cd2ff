namespace Engine.Cli;

/// <summary>
/// Random images for timing a model no bundled data set fits (ImageNet-sized zoo models in
/// <c>engine bench train --dataset synthetic</c>): values uniform in [0, 1) and labels from
/// <see cref="CounterRandom"/>, fixed by the sample index, never all zeros.
/// </summary>
internal sealed class SyntheticImages(Shape sampleShape, int classes, int count) : ImageDataset
{
    private readonly string[] _classNames = [.. Enumerable.Range(0, classes).Select(c => $"class {c}")];

    public override int Count => count;

    public override Shape SampleShape => sampleShape;

    public override IReadOnlyList<string> ClassNames => _classNames;

    public override void CopySample(int index, Span<float> destination)
    {
        ulong start = (ulong)index * (ulong)destination.Length;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)CounterRandom.Uniform(1, start + (ulong)i);
        }
    }

    public override int GetLabel(int index) => (int)(CounterRandom.Hash(2, (ulong)index) % (ulong)_classNames.Length);
}
