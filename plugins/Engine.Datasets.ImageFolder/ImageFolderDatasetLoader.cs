using Engine.Imaging;

namespace Engine.Datasets.ImageFolder;

/// <summary>
/// Loads a data set stored as image files in class folders: <c>&lt;root&gt;/train/&lt;class&gt;/*</c> and
/// <c>&lt;root&gt;/test/&lt;class&gt;/*</c>. Class names are the training sub-folder names in ordinal
/// order (label 0 first); the test folder must have the same set (a test class folder may be empty).
/// Every file in a class folder is an example, except hidden files (name starting with '.'); the
/// format (JPEG, PNG, WebP, BMP, GIF, PGM/PPM) is found from the file's content, and a JPEG's EXIF
/// orientation is applied. Images are scaled to [0, 1]; a folder decodes in parallel.
/// </summary>
/// <remarks>
/// <para>Sizes: with <c>&lt;root&gt;/dataset.json</c> (<see cref="ImageFolderOptions"/>) images are resized
/// (bilinear) and converted to its size and channel count; without it every image must have the size of
/// the first training image (a mismatch names both files and sizes) and is converted to its channel count.</para>
/// <para>Without a <c>test</c> folder the load fails with a message naming the missing folder: the engine
/// evaluates on the test split, and silently holding out part of <c>train</c> would change the data set.</para>
/// <para>Samples are stored as bytes after conversion and resizing, a quarter of the memory of floats.</para>
/// </remarks>
public sealed class ImageFolderDatasetLoader : IDatasetLoader
{
    /// <inheritdoc/>
    public string Name => "image-folder";

    /// <inheritdoc/>
    public string Description =>
        "images in class folders: <root>/train/<class>/* and <root>/test/<class>/* (JPEG, PNG, WebP, BMP, GIF, PGM/PPM); optional <root>/dataset.json {\"size\": [H, W], \"channels\": 1|3}";

    /// <inheritdoc/>
    public DatasetSplits Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DataFormatException(directory, $"data folder '{directory}' does not exist");
        }
        string trainRoot = Path.Combine(directory, "train");
        string testRoot = Path.Combine(directory, "test");
        foreach (string root in (string[])[trainRoot, testRoot])
        {
            if (!Directory.Exists(root))
            {
                throw new DataFormatException(root, $"missing folder '{root}': an image-folder data set needs train/<class>/ and test/<class>/ folders");
            }
        }
        ImageFolderOptions options = ImageFolderOptions.Read(Path.Combine(directory, ImageFolderOptions.FileName));
        string[] classes = ClassFolders(trainRoot);
        if (classes.Length == 0)
        {
            throw new DataFormatException(trainRoot, "no class folders: expected one sub-folder per class, each holding that class's images");
        }
        if (classes.Length > 256)
        {
            throw new DataFormatException(trainRoot, $"{classes.Length} class folders; at most 256 classes are supported");
        }
        string[] testClasses = ClassFolders(testRoot);
        if (!testClasses.SequenceEqual(classes))
        {
            string onlyTrain = string.Join(", ", classes.Except(testClasses));
            string onlyTest = string.Join(", ", testClasses.Except(classes));
            throw new DataFormatException(testRoot,
                $"class folders differ from train: only in train: [{onlyTrain}]; only in test: [{onlyTest}]");
        }

        var builder = new SplitBuilder(options);
        ByteImageDataset train = builder.Build(trainRoot, classes, requireImages: true);
        ByteImageDataset test = builder.Build(testRoot, classes, requireImages: false);
        return new DatasetSplits(train, test);
    }

    // Ordinal order: the same on every machine and culture, so labels never change meaning.
    private static string[] ClassFolders(string root) =>
        [.. Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Decodes images into one byte array, fixing the size and channels from the options or the first
    /// image. The first image of a split is decoded alone (it may fix the shape); the rest decode in
    /// parallel, each straight into its own slot, so the order of the samples, and which error is
    /// reported when several files are bad (the first in file order), never depend on scheduling.
    /// </summary>
    private sealed class SplitBuilder(ImageFolderOptions options)
    {
        // Decoding is CPU-bound; more workers than cores only adds memory (each holds a decoded image).
        private static readonly ParallelOptions Workers = new() { MaxDegreeOfParallelism = Math.Clamp(Environment.ProcessorCount, 1, 8) };

        private int _height = options.Height ?? 0;
        private int _width = options.Width ?? 0;
        private int _channels = options.Channels ?? 0;
        private string? _first;

        public ByteImageDataset Build(string root, string[] classes, bool requireImages)
        {
            var files = new List<string>();
            var labels = new List<byte>();
            for (int label = 0; label < classes.Length; label++)
            {
                string folder = Path.Combine(root, classes[label]);
                string[] inFolder = [.. Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)];
                if (inFolder.Length == 0 && requireImages)
                {
                    throw new DataFormatException(folder, $"class folder '{classes[label]}' holds no images");
                }
                files.AddRange(inFolder);
                labels.AddRange(Enumerable.Repeat((byte)label, inFolder.Length));
            }
            byte[]? first = files.Count > 0 ? Decode(files[0]) : null;
            var shape = new Shape(Math.Max(_channels, 1), Math.Max(_height, 1), Math.Max(_width, 1));
            int size = checked((int)shape.ElementCount);
            var all = new byte[checked(size * files.Count)];
            first?.CopyTo(all, 0);
            var errors = new Exception?[files.Count];
            Parallel.For(1, files.Count, Workers, (i, loop) =>
            {
                try
                {
                    Decode(files[i]).CopyTo(all, i * size);
                }
                catch (Exception e)
                {
                    errors[i] = e;
                    loop.Break(); // files before i still decode, so the first bad one in order is found
                }
            });
            if (Array.Find(errors, e => e is not null) is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
            return new ByteImageDataset(all, [.. labels], shape, classes);
        }

        // Runs on worker threads once the shape is fixed: it then only reads the fields.
        private byte[] Decode(string file)
        {
            DecodedImage image = ImageDecoder.Load(file);
            if (_channels == 0)
            {
                _channels = image.ColourChannels;
            }
            if (_height == 0)
            {
                (_height, _width, _first) = (image.Height, image.Width, file);
            }
            else if (options.Height is null && (image.Height != _height || image.Width != _width))
            {
                throw new DataFormatException(file,
                    $"image is {image.Width}x{image.Height} (width x height) but the first image, {_first}, is {_width}x{_height}; add {ImageFolderOptions.FileName} with \"size\" to resize them all");
            }
            float[] planar = ImageConversion.ToPlanarFloats(image, _channels);
            if (image.Height != _height || image.Width != _width)
            {
                var resized = new float[_channels * _height * _width];
                BilinearResize.Resize(planar, _channels, image.Height, image.Width, resized, _height, _width);
                planar = resized;
            }
            var bytes = new byte[planar.Length];
            for (int i = 0; i < planar.Length; i++)
            {
                bytes[i] = (byte)Math.Clamp(MathF.Round(planar[i] * 255f), 0f, 255f);
            }
            return bytes;
        }
    }
}
