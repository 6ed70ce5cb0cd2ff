using Engine.Tests;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Engine.Datasets.Idx.Tests;

/// <summary>Loads the real files: MNIST, bundled in the repository, and Fashion-MNIST when the
/// shared data folder beside the repository is there.</summary>
public sealed class RealDataTests(ITestOutputHelper output)
{
    [Fact]
    public void LoadsBundledMnist()
    {
        string folder = RepoPaths.Mnist;

        var clock = Stopwatch.StartNew();
        DatasetSplits splits = IdxDatasetLoader.Mnist().Load(folder);
        output.WriteLine($"loaded {folder} in {clock.ElapsedMilliseconds} ms");

        AssertSplit(splits.Train, 60000, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
        AssertSplit(splits.Test, 10000, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
        // The well-known first examples: a 5 in training, a 7 in test.
        Assert.Equal(5, splits.Train.GetLabel(0));
        Assert.Equal(7, splits.Test.GetLabel(0));
    }

    [Fact]
    public void LoadsFashionMnistWhenPresent()
    {
        // xunit 2 cannot skip at run time, so a missing folder passes with a note in the output.
        string folder = Path.Combine(RepoPaths.SharedData, "fashion-mnist");
        if (!Directory.Exists(folder))
        {
            output.WriteLine($"not run: Fashion-MNIST folder {folder} is absent");
            return;
        }

        DatasetSplits splits = IdxDatasetLoader.FashionMnist().Load(folder);

        AssertSplit(splits.Train, 60000, Enumerable.Repeat(6000, 10).ToArray());
        AssertSplit(splits.Test, 10000, Enumerable.Repeat(1000, 10).ToArray());
        Assert.Equal("Ankle boot", splits.Train.ClassNames[9]);
    }

    private static void AssertSplit(ImageDataset split, int count, int[] perClass)
    {
        Assert.Equal(count, split.Count);
        Assert.Equal(new Shape(1, 28, 28), split.SampleShape);
        Assert.Equal(10, split.ClassCount);
        var counts = new int[10];
        for (int i = 0; i < split.Count; i++)
        {
            counts[split.GetLabel(i)]++;
        }
        Assert.Equal(perClass, counts);
    }
}
