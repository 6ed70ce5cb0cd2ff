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
