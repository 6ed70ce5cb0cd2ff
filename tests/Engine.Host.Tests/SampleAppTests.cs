using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Tests;

namespace Engine.Host.Tests;

/// <summary>
/// samples/HostApp, an application on the host API with its plugins in its own output folder, runs
/// as users run it: from its folder, with no plugin options and no ENGINE_PLUGIN_PATH.
/// </summary>
public sealed partial class SampleAppTests
{
    // The sample builds with the solution, in the configuration of these tests.
    private static string SampleDll => Path.Combine(RepoPaths.Root, "samples", "HostApp", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "HostApp.dll");

    [Fact]
    public void TheSampleApplicationTrainsLeNet5ToAUsefulAccuracy()
    {
        // Two epochs of 10,000 MNIST images, batches of 32: 624 steps, about 7 s of CPU time. Measured
        // 0.963 on the first 1,000 test images (one epoch: 0.924; an untrained network: about 0.1).
        var (code, output) = Run(RepoPaths.Mnist, "10000", "2");
        Assert.True(code == 0, output);
        double accuracy = double.Parse(TestAccuracy().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.94, output);
        // The weights moved by name into a second network give the same predictions.
        Assert.Contains(FormattableString.Invariant($"reloaded accuracy {accuracy:F4}"), output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSampleApplicationFailsWithOneLineForAMissingDataFolder()
    {
        var (code, output) = Run("no-such-folder", "64", "1");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", output, StringComparison.Ordinal);
        Assert.Contains("no-such-folder", output, StringComparison.Ordinal);
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        Assert.True(File.Exists(SampleDll), $"{SampleDll} is not built (it is part of Engine.sln)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        start.ArgumentList.Add(SampleDll);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment.Remove(PluginDiscovery.EnvironmentVariable);
        using var process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, errors.GetAwaiter().GetResult() + output);
    }

    [GeneratedRegex(@"test accuracy ([0-9.]+)")]
    private static partial Regex TestAccuracy();
}
