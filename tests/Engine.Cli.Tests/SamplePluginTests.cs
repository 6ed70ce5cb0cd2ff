using System.Diagnostics;
using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Cli.Tests;

/// <summary>
/// Builds samples/SwishLayer as a third party would (against Engine.Abstractions.dll only, outside
/// Engine.sln), drops it into a plugin folder, and trains a network that uses its layer.
/// </summary>
public sealed class SamplePluginTests(ITestOutputHelper log)
{
    [Fact]
    public void OutOfTreeSwishPluginIsUsedInANetwork()
    {
        string pluginFolder = Directory.CreateTempSubdirectory("engine-sample-").FullName;
        string sdkFolder = Path.GetDirectoryName(typeof(EngineSdk).Assembly.Location)! + Path.DirectorySeparatorChar;
        string project = Path.Combine(RepoPaths.Root, "samples", "SwishLayer", "SwishLayer.csproj");
        string outputFolder = Path.Combine(pluginFolder, "SwishLayer");
        int exit;
        string buildLog;
        lock (SampleBuilds.InPlace)
        {
            (exit, buildLog) = Dotnet("build", project, "-c", "Release", "-o", outputFolder, $"-p:EngineSdkDirectory={sdkFolder}", "--nologo", "-v", "q");
        }
        Assert.True(exit == 0, buildLog);
        Assert.False(File.Exists(Path.Combine(outputFolder, "Engine.Abstractions.dll")), "the SDK must not be copied into a plugin");

        var (listCode, listing, _) = CliRunner.Run("plugins", "--plugins", pluginFolder);
        Assert.Equal(0, listCode);
        Assert.Matches(@"layer\s+swish\s+swish / SiLU", listing);
        Assert.Contains(Path.Combine(outputFolder, "SwishLayer.dll"), listing);

        string model = Path.Combine(RepoPaths.Root, "samples", "SwishLayer", "swish-mlp.json");
        var (code, output, error) = CliRunner.Run("train", "--plugins", pluginFolder, "--model", model, "--data", RepoPaths.Mnist, "--limit", "4000", "--epochs", "1", "--batch-size", "32", "--lr", "0.2");
        log.WriteLine(output + error);
        Assert.Equal(0, code);
        Assert.Contains("model     swish-mlp: flatten → dense → swish → dense", output);
        Assert.InRange(TrainCommandTests.FinalAccuracy(output), 0.85, 1.0);
    }

    private static (int Exit, string Log) Dotnet(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
