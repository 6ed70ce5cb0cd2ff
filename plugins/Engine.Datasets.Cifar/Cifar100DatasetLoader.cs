namespace Engine.Datasets.Cifar;

/// <summary>
/// Loads CIFAR-100, binary version: <c>train.bin</c> (50,000 images) and <c>test.bin</c> (10,000),
/// records of a coarse label byte, a fine label byte and 3072 pixel bytes. <c>cifar-100</c> uses the
/// 100 fine classes (names from <c>fine_label_names.txt</c> when present), <c>cifar-100-coarse</c>
/// the 20 superclasses (<c>coarse_label_names.txt</c>). Samples are 3×32×32, scaled to [0, 1].
/// </summary>
public sealed class Cifar100DatasetLoader : IDatasetLoader
{
    /// <summary>The training file.</summary>
    public const string TrainFile = "train.bin";

    /// <summary>The test file.</summary>
    public const string TestFile = "test.bin";

    private readonly bool _coarse;

    /// <summary>A loader for the fine (100 classes) or, when <paramref name="coarse"/>, the coarse (20 superclasses) labels.</summary>
    public Cifar100DatasetLoader(bool coarse = false) => _coarse = coarse;

    /// <summary>The optional class-name file for the labels this loader uses.</summary>
    public string NamesFile => _coarse ? "coarse_label_names.txt" : "fine_label_names.txt";

    /// <inheritdoc/>
    public string Name => _coarse ? "cifar-100-coarse" : "cifar-100";

    /// <inheritdoc/>
    public string Description => _coarse
        ? $"CIFAR-100 tiny images (32x32 RGB) by their 20 superclasses; binary version: {TrainFile}, {TestFile}, optional {NamesFile}"
        : $"CIFAR-100 tiny images (32x32 RGB), 100 classes; binary version: {TrainFile}, {TestFile}, optional {NamesFile}";

    /// <inheritdoc/>
    public DatasetSplits Load(string directory)
    {
        CifarFiles.CheckFolder(directory, "CIFAR-100", [TrainFile, TestFile]);
        IReadOnlyList<string> builtIn = _coarse ? CifarClassNames.Cifar100Coarse : CifarClassNames.Cifar100Fine;
        IReadOnlyList<string> names = CifarClassNames.ReadOrDefault(Path.Combine(directory, NamesFile), builtIn);
        var layout = new CifarRecordLayout(LabelBytes: 2, LabelIndex: _coarse ? 0 : 1, ClassCount: builtIn.Count);
        var train = CifarBinaryReader.Read([Path.Combine(directory, TrainFile)], layout, names);
        var test = CifarBinaryReader.Read([Path.Combine(directory, TestFile)], layout, names);
        return new DatasetSplits(train, test);
    }
}
