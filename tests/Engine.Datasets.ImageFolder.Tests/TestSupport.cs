namespace Engine.Datasets.ImageFolder.Tests;

/// <summary>The checks every reported data error must pass: the right exception, naming the file,
/// saying what is wrong, on one line.</summary>
internal static class ErrorAssert
{
    public static DataFormatException Throws(Action action, string path, params string[] keywords)
    {
        var error = Assert.Throws<DataFormatException>(action);
        Assert.Equal(path, error.Path);
        foreach (string keyword in keywords)
        {
            Assert.Contains(keyword, error.Message, StringComparison.Ordinal);
        }
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }
}

/// <summary>A fresh temporary folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "engine-imagefolder-tests-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    /// <summary>Writes <paramref name="content"/> at <paramref name="relative"/> (folders created) and returns the full path.</summary>
    public string Write(string relative, byte[] content)
    {
        string path = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }
}
