namespace Engine.Datasets.Idx.Tests;

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
        Assert.DoesNotContain('\r', error.Message);
        return error;
    }
}
