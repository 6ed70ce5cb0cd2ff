namespace Engine.Tests;

/// <summary>The checks every reported data error must pass: the right exception, naming the file,
/// saying what is wrong, on one line.</summary>
internal static class ErrorAssert
{
    public static DataFormatException Throws(Action action, string path, params string[] keywords)
    {
        var error = Assert.Throws<DataFormatException>(action);
        Assert.Equal(path, error.Path);
        Assert.Contains(Path.GetFileName(path.TrimEnd(Path.DirectorySeparatorChar)), error.Message, StringComparison.Ordinal);
        foreach (string keyword in keywords)
        {
            Assert.Contains(keyword, error.Message, StringComparison.Ordinal);
        }
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
        return error;
    }
}

/// <summary>A fresh temporary folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Directory.CreateTempSubdirectory("engine-tests-").FullName;

    /// <summary>
    /// Writes <paramref name="content"/> (gzip'd first when <paramref name="gzip"/>) at
    /// <paramref name="relative"/>, creating folders, and returns the full path.
    /// </summary>
    public string Write(string relative, byte[] content, bool gzip = false)
    {
        string path = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        if (gzip)
        {
            using var file = File.Create(path);
            using var zip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest);
            zip.Write(content);
        }
        else
        {
            File.WriteAllBytes(path, content);
        }
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
