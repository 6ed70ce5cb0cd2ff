using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Tests;

namespace Engine.Cli.Tests;

public sealed class PluginsCommandTests
{
    [Fact]
    public void ListsEveryKindOfPluginWithItsFile()
    {
        var (code, output, _) = CliRunner.Run("plugins");
        Assert.Equal(0, code);
        Assert.Contains(Path.Combine(RepoPaths.StagedPlugins, "Engine.Backend.OpenBlas", "Engine.Backend.OpenBlas.dll"), output);
        Assert.Matches(@"backend\s+openblas\s+available: .*OpenBLAS", output);
        Assert.Matches(@"layer\s+dense\s", output);
        Assert.Matches(@"dataset\s+mnist\s", output);
        Assert.Matches(@"model\s+mlp\s", output);
        Assert.Contains("Failed (0):", output);
    }

    /// <summary>
    /// Every host built in one process computes on the threads OpenBLAS chose at the process's first load.
    /// Each CLI run loads the plugins into a fresh load context but OpenBLAS only once, already set to one
    /// thread by the first run; the backend used to read that back, so every run after the first in a
    /// process (the CLI tests, a host app building two hosts) computed on one thread.
    /// </summary>
    [Fact]
    public void EveryRunInOneProcessGetsTheSameOpenBlasThreads()
    {
        int[] threads = new int[3];
        for (int run = 0; run < threads.Length; run++)
        {
            var (code, output, _) = CliRunner.Run("plugins");
            Assert.Equal(0, code);
            Match m = Regex.Match(output, @"backend\s+openblas\s+available: .*, (\d+) threads?");
            Assert.True(m.Success, output);
            threads[run] = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        Assert.Equal(threads[0], threads[1]);
        Assert.Equal(threads[0], threads[2]);
        string? asked = Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS");
        if (Environment.ProcessorCount > 1 && string.IsNullOrEmpty(asked))
        {
            Assert.True(threads[2] > 1, $"a later run in this process computes on {threads[2]} thread(s) with {Environment.ProcessorCount} processors");
        }
    }

    [Fact]
    public void FailedPluginsAreListedWithTheirReason()
    {
        string folder = Directory.CreateTempSubdirectory("engine-bad-plugins-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "Garbage.dll"), [1, 2, 3, 4]);
        var (code, output, _) = CliRunner.Run("plugins", "--plugins", folder);
        Assert.Equal(0, code);
        Assert.Contains("Failed (1):", output);
        Assert.Contains($"{Path.Combine(folder, "Garbage.dll")}: not a loadable .NET assembly", output);
        Assert.Matches(@"layer\s+dense\s", output); // the good plugins still loaded
    }
}
