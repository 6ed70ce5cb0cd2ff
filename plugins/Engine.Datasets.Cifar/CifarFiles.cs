namespace Engine.Datasets.Cifar;

/// <summary>Locates a data set's files, reporting every missing one at once with the full list expected.</summary>
internal static class CifarFiles
{
    public static void CheckFolder(string directory, string dataset, IEnumerable<string> expected)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DataFormatException(directory, $"data folder '{directory}' does not exist");
        }
        string[] missing = expected.Where(name => !File.Exists(Path.Combine(directory, name))).ToArray();
        if (missing.Length > 0)
        {
            throw new DataFormatException(directory,
                $"missing {dataset} data file(s) {string.Join(", ", missing)} in folder '{directory}'; the binary version holds {string.Join(", ", expected)}");
        }
    }
}
