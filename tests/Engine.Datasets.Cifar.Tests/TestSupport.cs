namespace Engine.Datasets.Cifar.Tests;

/// <summary>The checks every reported data error must pass: the right exception, naming the file,
/// saying what is wrong, on one line.</summary>
internal static class ErrorAssert
{
    public static DataFormatException Throws(Action action, string path, params string[] keywords)
    {
        var error = Assert.Throws<DataFormatException>(action);
        Assert.Equal(path, error.Path);
        Assert.Contains(Path.GetFileName(path), error.Message, StringComparison.Ordinal);
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
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "engine-cifar-tests-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string Write(string name, byte[] content)
    {
        string path = System.IO.Path.Combine(Path, name);
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

/// <summary>Builds CIFAR record files: each record's label byte(s), then 3072 pixels whose value
/// encodes (record, position) so a misplaced byte is caught.</summary>
internal static class CifarTestFiles
{
    public static byte[] Records(params byte[][] labels)
    {
        int recordSize = labels[0].Length + 3072;
        var bytes = new byte[labels.Length * recordSize];
        for (int r = 0; r < labels.Length; r++)
        {
            labels[r].CopyTo(bytes, r * recordSize);
            for (int p = 0; p < 3072; p++)
            {
                bytes[r * recordSize + labels[r].Length + p] = Pixel(r, p);
            }
        }
        return bytes;
    }

    public static byte Pixel(int record, int position) => (byte)(record * 7 + position * 13);
}
