namespace Engine.Datasets.Cifar;

/// <summary>
/// Loads CIFAR-10, binary version: <c>data_batch_1.bin</c> to <c>data_batch_5.bin</c> (50,000
/// training images) and <c>test_batch.bin</c> (10,000 test images), records of one label byte and
/// 3072 pixel bytes; class names from <c>batches.meta.txt</c> when present. Samples are 3×32×32,
/// scaled to [0, 1].
/// </summary>
public sealed class Cifar10DatasetLoader : IDatasetLoader
{
    /// <summary>The training files, in order.</summary>
    public static IReadOnlyList<string> TrainFiles { get; } = [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")];

    /// <summary>The test file.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>The optional class-name file (one name per line).</summary>
    public const string MetaFile = "batches.meta.txt";

    private static readonly CifarRecordLayout Layout = new(LabelBytes: 1, LabelIndex: 0, ClassCount: 10);

    /// <inheritdoc/>
    public string Name => "cifar-10";

    /// <inheritdoc/>
    public string Description =>
        $"CIFAR-10 tiny images (32x32 RGB), 10 classes; binary version: {string.Join(", ", TrainFiles)}, {TestFile}, optional {MetaFile}";

    /// <inheritdoc/>
    public DatasetSplits Load(string directory)
    {
        CifarFiles.CheckFolder(directory, "CIFAR-10", [.. TrainFiles, TestFile]);
        IReadOnlyList<string> names = CifarClassNames.ReadOrDefault(Path.Combine(directory, MetaFile), CifarClassNames.Cifar10);
        var train = CifarBinaryReader.Read([.. TrainFiles.Select(f => Path.Combine(directory, f))], Layout, names);
        var test = CifarBinaryReader.Read([Path.Combine(directory, TestFile)], Layout, names);
        return new DatasetSplits(train, test);
    }
}
