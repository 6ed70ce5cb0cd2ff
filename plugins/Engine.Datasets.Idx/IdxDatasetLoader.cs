namespace Engine.Datasets.Idx;

/// <summary>
/// Loads a data set stored as the four IDX files of MNIST (<c>train-images-idx3-ubyte</c>,
/// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>),
/// each gzip'd (<c>.gz</c>) or raw. Fashion-MNIST uses the same files, so one class serves both;
/// only the name and the class names differ.
/// </summary>
public sealed class IdxDatasetLoader : IDatasetLoader
{
    private const string TrainImages = "train-images-idx3-ubyte";
    private const string TrainLabels = "train-labels-idx1-ubyte";
    private const string TestImages = "t10k-images-idx3-ubyte";
    private const string TestLabels = "t10k-labels-idx1-ubyte";

    private readonly string[] _classNames;

    /// <summary>Creates a loader for an IDX data set.</summary>
    /// <param name="name">Name users write, e.g. <c>mnist</c>.</param>
    /// <param name="title">What the data set is, for <see cref="Description"/>.</param>
    /// <param name="classNames">Class names in label order; labels must be below their count.</param>
    public IdxDatasetLoader(string name, string title, IReadOnlyList<string> classNames)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(classNames);
        // Labels are bytes, so more than 256 classes could never be told apart.
        if (classNames.Count is < 1 or > 256)
        {
            throw new ArgumentException($"an IDX data set needs 1 to 256 class names; got {classNames.Count}", nameof(classNames));
        }
        Name = name;
        _classNames = [.. classNames];
        Description = $"{title}, {_classNames.Length} classes; IDX files {TrainImages}, {TrainLabels}, {TestImages}, {TestLabels} (each raw or .gz)";
    }

    /// <summary>MNIST handwritten digits; classes "0" to "9".</summary>
    public static IdxDatasetLoader Mnist() =>
        new("mnist", "MNIST handwritten digits (28x28 grayscale)", ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    /// <summary>Fashion-MNIST Zalando article images, with Zalando's class names.</summary>
    public static IdxDatasetLoader FashionMnist() =>
        new("fashion-mnist", "Fashion-MNIST Zalando article images (28x28 grayscale)",
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <inheritdoc/>
    public DatasetSplits Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DataFormatException(directory, $"data folder '{directory}' does not exist");
        }
        // Every file is located before any is read, so a missing file is reported at once
        // rather than after the seconds spent inflating the training images.
        string trainImages = Find(directory, TrainImages);
        string trainLabels = Find(directory, TrainLabels);
        string testImages = Find(directory, TestImages);
        string testLabels = Find(directory, TestLabels);

        ByteImageDataset train = LoadSplit(trainImages, trainLabels);
        ByteImageDataset test = LoadSplit(testImages, testLabels);
        // A network is built for one input shape; splits of different sizes could not share it.
        if (test.SampleShape != train.SampleShape)
        {
            throw new DataFormatException(testImages,
                $"images are {test.SampleShape[1]}x{test.SampleShape[2]} but the training images in {trainImages} are {train.SampleShape[1]}x{train.SampleShape[2]}");
        }
        return new DatasetSplits(train, test);
    }

    // The .gz form is preferred when both exist: it is the form the files are published in.
    private static string Find(string directory, string baseName)
    {
        foreach (string candidate in (string[])[baseName + ".gz", baseName])
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new DataFormatException(directory, $"missing data file: looked for {baseName}.gz and {baseName} in folder '{directory}'");
    }

    private ByteImageDataset LoadSplit(string imagesPath, string labelsPath)
    {
        IdxFile images = IdxReader.ReadImages(imagesPath);
        IdxFile labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Count)
        {
            throw new DataFormatException(labelsPath, $"count mismatch: {labels.Count} labels but {imagesPath} holds {images.Count} images");
        }
        // Labels index the class names (and, in training, a one-hot target): check them all here
        // so that a bad byte is reported with its place, not as an index error mid-epoch.
        int bad = _classNames.Length > byte.MaxValue ? -1
            : labels.Data.AsSpan().IndexOfAnyInRange((byte)_classNames.Length, byte.MaxValue);
        if (bad >= 0)
        {
            throw new DataFormatException(labelsPath,
                $"label out of range: label {bad} is {labels.Data[bad]} but there are {_classNames.Length} classes (0 to {_classNames.Length - 1})");
        }
        var shape = new Shape(1, images.Dimensions[1], images.Dimensions[2]);
        return new ByteImageDataset(images.Data, labels.Data, shape, _classNames);
    }
}
