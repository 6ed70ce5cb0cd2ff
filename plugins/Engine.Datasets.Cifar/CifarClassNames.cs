namespace Engine.Datasets.Cifar;

/// <summary>
/// Class names of the CIFAR data sets: read from the name files shipped with the binary versions
/// (one name per line, blank lines ignored) when present, otherwise the published names built in here.
/// </summary>
public static class CifarClassNames
{
    /// <summary>CIFAR-10's ten classes, in label order.</summary>
    public static IReadOnlyList<string> Cifar10 { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>CIFAR-100's twenty superclasses (coarse labels), in label order.</summary>
    public static IReadOnlyList<string> Cifar100Coarse { get; } =
    [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
        "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
        "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals",
        "trees", "vehicles_1", "vehicles_2",
    ];

    /// <summary>CIFAR-100's hundred classes (fine labels), in label order.</summary>
    public static IReadOnlyList<string> Cifar100Fine { get; } =
    [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ];

    /// <summary>
    /// The names in <paramref name="path"/> when the file exists, else <paramref name="builtIn"/>. The file
    /// must hold exactly as many names as <paramref name="builtIn"/> (the labels in the data index them).
    /// </summary>
    /// <exception cref="DataFormatException">The file cannot be read or has the wrong number of names.</exception>
    public static IReadOnlyList<string> ReadOrDefault(string path, IReadOnlyList<string> builtIn)
    {
        if (!File.Exists(path))
        {
            return builtIn;
        }
        string[] names;
        try
        {
            names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        if (names.Length != builtIn.Count)
        {
            throw new DataFormatException(path, $"wrong number of class names: {names.Length} non-blank lines but the data set has {builtIn.Count} classes");
        }
        return names;
    }
}
