using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Datasets.Cifar.Tests;

/// <summary>The real CIFAR-10 files from the shared data folder (<c>ENGINE_SHARED_DATA</c> or
/// <c>../shared/data</c> beside the repository); skipped with the reason when they are absent.</summary>
public sealed class RealCifar10Tests(ITestOutputHelper output)
{
    [DataFact("cifar-10")]
    public void LoadsTheRealFiles()
    {
        string folder = SharedDataFolder.Find("cifar-10")!;
        output.WriteLine($"loading {folder}");

        DatasetSplits splits = new Cifar10DatasetLoader().Load(folder);

        Assert.Equal(50000, splits.Train.Count);
        Assert.Equal(10000, splits.Test.Count);
        Assert.Equal(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], splits.Train.ClassNames);
        Assert.Equal(3, splits.Test.GetLabel(0));
        Assert.Equal("cat", splits.Test.ClassNames[splits.Test.GetLabel(0)]);
        var counts = new int[10];
        for (int i = 0; i < splits.Train.Count; i++)
        {
            counts[splits.Train.GetLabel(i)]++;
        }
        Assert.All(counts, c => Assert.Equal(5000, c));
        var sample = new float[3072];
        float min = 1, max = 0;
        for (int i = 0; i < 100; i++)
        {
            splits.Test.CopySample(i, sample);
            min = Math.Min(min, sample.Min());
            max = Math.Max(max, sample.Max());
        }
        Assert.InRange(min, 0f, 0.02f);
        Assert.InRange(max, 0.98f, 1f);
    }
}

/// <summary>Finds folders of the shared data: <c>ENGINE_SHARED_DATA</c> first, then <c>../shared/data</c>.</summary>
internal static class SharedDataFolder
{
    public static string Root => Environment.GetEnvironmentVariable("ENGINE_SHARED_DATA") is { Length: > 0 } env ? env : RepoPaths.SharedData;

    /// <summary>The folder of data set <paramref name="name"/>, or null when absent.</summary>
    public static string? Find(string name)
    {
        string folder = Path.Combine(Root, name);
        return Directory.Exists(folder) ? folder : null;
    }
}

/// <summary>A fact that is skipped, with the folder it looked for, when a shared data set is absent
/// (xunit 2 has no run-time skip, but a Skip set in the constructor is reported as the reason).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DataFactAttribute : FactAttribute
{
    /// <summary>Skips unless shared data set <paramref name="dataset"/> is present.</summary>
    public DataFactAttribute(string dataset)
    {
        if (SharedDataFolder.Find(dataset) is null)
        {
            Skip = $"{dataset} is absent: looked in {Path.Combine(SharedDataFolder.Root, dataset)} (set ENGINE_SHARED_DATA to the folder holding {dataset}/)";
        }
    }
}
