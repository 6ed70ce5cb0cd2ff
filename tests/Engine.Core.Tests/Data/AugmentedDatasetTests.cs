using System.Collections.Concurrent;

namespace Engine.Core.Tests.Data;

public sealed class AugmentedDatasetTests
{
    private static readonly Shape Shape = new(3, 8, 8);

    private static AugmentedDataset Make(ulong seed = 7) =>
        new(ArrayDataset.Ramp(Shape, 16), AugmentationPipeline.Parse("flip,crop=2,jitter=0.3,rotate=10,translate=0.1,shear=5,resized-crop"), seed);

    private static float[] Read(ImageDataset data, int index)
    {
        var sample = new float[Shape.ElementCount];
        data.CopySample(index, sample);
        return sample;
    }

    [Fact]
    public void SameSeedEpochAndIndexGiveTheSameSample()
    {
        AugmentedDataset a = Make(), b = Make();
        a.BeginEpoch(3);
        b.BeginEpoch(3);
        // Read in different orders: a sample must not depend on what was read before it.
        float[][] forward = Enumerable.Range(0, 16).Select(i => Read(a, i)).ToArray();
        float[][] backward = Enumerable.Range(0, 16).Reverse().Select(i => Read(b, i)).Reverse().ToArray();
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(forward[i], backward[i]);
            Assert.Equal(forward[i], Read(a, i));
        }
    }

    [Fact]
    public void EpochsAndSeedsChangeTheSamples()
    {
        AugmentedDataset data = Make();
        data.BeginEpoch(1);
        float[] first = Read(data, 5);
        data.BeginEpoch(2);
        float[] second = Read(data, 5);
        Assert.NotEqual(first, second);
        data.BeginEpoch(1);
        Assert.Equal(first, Read(data, 5));

        AugmentedDataset other = Make(seed: 8);
        Assert.NotEqual(first, Read(other, 5));
    }

    [Fact]
    public void ConcurrentReadsMatchSequentialOnes()
    {
        AugmentedDataset data = Make();
        data.BeginEpoch(4);
        float[][] expected = Enumerable.Range(0, 16).Select(i => Read(data, i)).ToArray();
        var results = new ConcurrentBag<(int Index, float[] Sample)>();
        Parallel.For(0, 256, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k => results.Add((k % 16, Read(data, k % 16))));
        Assert.All(results, r => Assert.Equal(expected[r.Index], r.Sample));
    }

    [Fact]
    public void TheSampleIsAFunctionOfSeedEpochAndIndexOnly()
    {
        // Pipeline.Apply with the same (seed, epoch, index) on a fresh copy of the source reproduces the read.
        var source = ArrayDataset.Ramp(Shape, 16);
        AugmentedDataset data = Make();
        data.BeginEpoch(6);
        float[] sample = Read(source, 9);
        data.Pipeline.Apply(sample, Shape, 7, 6, 9);
        Assert.Equal(sample, Read(data, 9));
    }

    [Fact]
    public void PassesTheEpochOnAndKeepsLabels()
    {
        var inner = new AugmentedDataset(ArrayDataset.Ramp(Shape, 4), AugmentationPipeline.Parse("flip"), 1);
        var outer = new AugmentedDataset(inner, AugmentationPipeline.None, 1);
        outer.BeginEpoch(5);
        Assert.Equal(5, inner.Epoch);
        Assert.Equal(0, outer.GetLabel(3));
        Assert.Equal(4, outer.Count);
    }

    [Fact]
    public void EvaluationPipelineNormalisesWithoutRandomness()
    {
        var source = new ArrayDataset(new Shape(1, 1, 2), [[0.5f, 1f]], [0], 1);
        var pipeline = AugmentationPipeline.Parse("flip=1,normalize=0.5:0.25");
        var test = new AugmentedDataset(source, pipeline.ForEvaluation(), 1);
        var sample = new float[2];
        test.CopySample(0, sample);
        Assert.Equal([0f, 2f], sample);
    }
}
