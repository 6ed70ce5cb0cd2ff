using System.Diagnostics;
using System.Text.RegularExpressions;
using Engine.Tests;

namespace Engine.Packaging.Tests;

/// <summary>
/// The packages of this build in a temporary local feed, packed by packaging/Pack.proj (what
/// <c>./build.sh pack</c> runs), with what a user of them has: a nuget.config naming the feed
/// beside the machine's own sources, the templates installed into a temporary hive, and a NuGet
/// package cache of its own, so that no package of an earlier run is ever picked up.
/// </summary>
public sealed partial class LocalFeed : IDisposable
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public LocalFeed()
    {
        Root = Directory.CreateTempSubdirectory("engine-packages-").FullName;
        Feed = Path.Combine(Root, "feed");
        Hive = Path.Combine(Root, "template-hive");
        Version = VersionRegex().Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props"))).Groups[1].Value;
        Assert.NotEqual("", Version);

        var (code, log) = Run("dotnet", ["msbuild", Path.Combine(RepoPaths.Root, "packaging", "Pack.proj"), "-nologo", "-v:q",
            $"-p:Configuration={Configuration}", $"-p:PackageOutputPath={Feed}{Path.DirectorySeparatorChar}"], RepoPaths.Root);
        Assert.True(code == 0, "packing failed: " + log);

        // Projects created under Root find this file; the machine's own sources still apply (no <clear/>).
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="engine-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);

        (code, log) = Run("dotnet", ["new", "install", PackagePath("Engine.Templates"), "--debug:custom-hive", Hive], Root);
        Assert.True(code == 0, "installing the templates failed: " + log);
    }

    /// <summary>The temporary folder everything lives in.</summary>
    public string Root { get; }

    /// <summary>The local feed: a folder of .nupkg files.</summary>
    public string Feed { get; }

    /// <summary>The template hive the templates are installed into.</summary>
    public string Hive { get; }

    /// <summary>The one version of every package: Directory.Build.props' &lt;Version&gt;.</summary>
    public string Version { get; }

    /// <summary>The engine of this build (artifacts/engine), which loads the plugins the tests build.</summary>
    public static string Engine => Path.Combine(RepoPaths.Root, "artifacts",
        Configuration == "Release" ? "engine" : $"engine-{Configuration.ToLowerInvariant()}", "engine");

    public string PackagePath(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>A new empty folder under <see cref="Root"/>.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

    /// <summary>
    /// Runs a program with this feed's NuGet cache and no first-run noise; returns its exit code and
    /// everything it printed. A run longer than five minutes is killed and fails.
    /// </summary>
    public (int Code, string Log) Run(string program, string[] args, string folder)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["NUGET_PACKAGES"] = Path.Combine(Root, "nuget-packages");
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        using var process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"'{program} {string.Join(' ', args)}' ran longer than 5 minutes");
        }
        return (process.ExitCode, output.GetAwaiter().GetResult() + errors.GetAwaiter().GetResult());
    }

    /// <summary>Runs a program that must succeed; returns what it printed.</summary>
    public string RunOk(string program, string[] args, string folder)
    {
        var (code, log) = Run(program, args, folder);
        Assert.True(code == 0, $"'{program} {string.Join(' ', args)}' failed ({code}):\n{log}");
        return log;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionRegex();
}

/// <summary>The tests that share one packed feed (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class LocalFeedCollection : ICollectionFixture<LocalFeed>
{
    public const string Name = "local feed";
}
