using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// Model and config files are read with a size limit: a device such as /dev/zero was once read until
/// the process ran out of memory; now it, and a file far larger than any real model or config, is
/// refused with one line naming it.
/// </summary>
public sealed class InputSizeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-inputs-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("--model", "model file")]
    [InlineData("--config", "--config file")]
    public void ACharacterDeviceIsRefused(string option, string what)
    {
        string error = ErrorBoundaryTests.OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", option, "/dev/zero");
        Assert.Equal($"error: /dev/zero: {what} is not a regular file (a device or a pipe?): refused", error);
    }

    [Theory]
    [InlineData("--model", "model file")]
    [InlineData("--config", "--config file")]
    public void AFileOfTwentyMegabytesIsRefused(string option, string what)
    {
        string path = Path.Combine(_folder, "big.json");
        using (var stream = File.Create(path))
        {
            stream.SetLength(20L << 20);
        }
        string error = ErrorBoundaryTests.OneError("train", "--data", RepoPaths.Mnist, "--limit", "100", option, path);
        Assert.Equal($"error: {path}: {what} is 20,971,520 bytes, more than the 4,194,304 bytes allowed (is it the right file?)", error);
    }

    [Fact]
    public void SummaryRefusesADeviceAsAModel()
    {
        string error = ErrorBoundaryTests.OneError("summary", "--model", "/dev/zero");
        Assert.Contains("/dev/zero: model file is not a regular file", error);
    }
}
