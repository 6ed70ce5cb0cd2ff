using System.Diagnostics;
using System.Globalization;
using Engine.Host;
using Engine.Imaging;
using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Cli.Tests;

/// <summary>
/// JPEG photos end to end through the built engine (<c>artifacts/engine/engine</c>, its plugins taken
/// from <c>artifacts/engine/plugins</c>): a folder of JPEG MNIST digits trains with
/// <c>--dataset image-folder</c>, and <c>predict --image</c> reads a JPEG. Run as a separate process, so
/// Skia's native library must be found by the engine itself and by the image-folder plugin's loader.
/// </summary>
public sealed class JpegFolderTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-jpeg-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Runs the built engine with its default plugin folder; returns exit code, stdout, stderr.</summary>
    internal static (int Code, string Output, string Error) RunEngine(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "artifacts", "engine", "engine"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        start.Environment.Remove("ENGINE_PLUGIN_PATH");
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    // <root>/<split>/<digit>/<n>.jpg: the first `perClass` examples of each digit in the split, as grey JPEGs at quality 90.
    private static void WriteJpegs(ImageDataset split, string folder, int perClass)
    {
        var counts = new int[10];
        var sample = new float[784];
        for (int i = 0; i < split.Count && counts.Min() < perClass; i++)
        {
            int label = split.GetLabel(i);
            if (counts[label] >= perClass)
            {
                continue;
            }
            split.CopySample(i, sample);
            byte[] grey = [.. sample.Select(v => (byte)Math.Round(v * 255))];
            string path = Path.Combine(folder, label.ToString(CultureInfo.InvariantCulture), $"{counts[label]++:D3}.jpg");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, ImageEncoder.Encode(new DecodedImage(28, 28, 1, grey), ImageFileFormat.Jpeg, 90));
        }
    }

    [Fact]
    public void AFolderOfJpegDigitsTrainsEndToEnd()
    {
        using (EngineHost host = TrainedCheckpoint.CreateHost())
        {
            DatasetSplits mnist = host.LoadDataset("mnist", RepoPaths.Mnist);
            WriteJpegs(mnist.Train, Path.Combine(_folder, "train"), perClass: 60);
            WriteJpegs(mnist.Test, Path.Combine(_folder, "test"), perClass: 20);
        }

        var (code, output, error) = RunEngine("train", "--model", "mlp", "--dataset", "image-folder", "--data", _folder,
            "--epochs", "4", "--batch-size", "20", "--lr", "0.1", "--momentum", "0.9", "--seed", "1", "--no-progress");

        Assert.True(code == 0, error);
        Assert.Contains("600 training, 200 test examples", output);
        string final = output.Split('\n').Single(l => l.StartsWith("final test accuracy ", StringComparison.Ordinal));
        double accuracy = double.Parse(final["final test accuracy ".Length..], CultureInfo.InvariantCulture);
        log.WriteLine(final);
        // 600 digits, 4 epochs of an MLP: well above chance (0.1), short of what 60,000 give (~0.98).
        Assert.InRange(accuracy, 0.70, 1.0);
    }
}
