using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>Runs <c>engine</c> in-process with the staged plugins and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] withPlugins = [.. args, "--plugins", RepoPaths.StagedPlugins];
        int code = EngineCli.Run(withPlugins, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
