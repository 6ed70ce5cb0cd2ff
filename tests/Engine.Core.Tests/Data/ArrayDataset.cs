namespace Engine.Core.Tests.Data;

/// <summary>A data set of float samples given in full, for transform and evaluation tests.</summary>
internal sealed class ArrayDataset(Shape shape, float[][] samples, int[] labels, int classes) : ImageDataset
{
    public override int Count => samples.Length;

    public override Shape SampleShape => shape;

    public override IReadOnlyList<string> ClassNames { get; } = Enumerable.Range(0, classes).Select(i => $"c{i}").ToArray();

    public override void CopySample(int index, Span<float> destination) => samples[index].CopyTo(destination);

    public override int GetLabel(int index) => labels[index];

    /// <summary>Samples whose values are 0, 1, 2, … plus 1000 × the index, so every value is distinct.</summary>
    public static ArrayDataset Ramp(Shape shape, int count)
    {
        int size = (int)shape.ElementCount;
        float[][] samples = Enumerable.Range(0, count).Select(i => Enumerable.Range(0, size).Select(v => (float)(v + 1000 * i) / (1000 * count)).ToArray()).ToArray();
        return new ArrayDataset(shape, samples, new int[count], 1);
    }
}
