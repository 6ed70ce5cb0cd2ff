using Engine.Tests;

namespace Engine.Packaging.Tests;

/// <summary>
/// The two ways in, from the local feed: the `engine` .NET tool, and an application that references
/// the host package.
/// </summary>
[Collection(LocalFeedCollection.Name)]
[Trait("Category", "Packaging")]
public sealed class ToolAndHostPackageTests(LocalFeed feed)
{
    [Fact]
    public void TheEngineToolInstallsFromTheFeedAndTrains()
    {
        string tools = feed.NewFolder("tools");
        feed.RunOk("dotnet", ["tool", "install", "Engine.Cli", "--tool-path", tools, "--add-source", feed.Feed, "--version", feed.Version], feed.Root);
        string engine = Path.Combine(tools, OperatingSystem.IsWindows() ? "engine.exe" : "engine");
        // From a folder with nothing of the repository in it: the plugins come with the tool.
        string elsewhere = feed.NewFolder("elsewhere");

        string listing = feed.RunOk(engine, ["plugins"], elsewhere);
        Assert.Matches(@"backend\s+openblas\s+available", listing);
        Assert.Matches(@"layer\s+conv2d\s", listing);
        Assert.Matches(@"model\s+lenet5\s", listing);
        Assert.Matches(@"dataset\s+mnist\s", listing);
        Assert.Contains("Failed (0):", listing);
        Assert.Contains(Path.Combine(tools, ".store", "engine.cli"), listing);

        Assert.Contains("61,706", feed.RunOk(engine, ["summary", "--model", "lenet5", "--data", RepoPaths.Mnist], elsewhere));
        // One short epoch (2,000 digits, seed 1) already gets far from chance (0.68 on OpenBLAS).
        string training = feed.RunOk(engine, ["train", "--model", "lenet5", "--data", RepoPaths.Mnist, "--limit", "2000", "--epochs", "1",
            "--batch-size", "32", "--lr", "0.05", "--momentum", "0.9", "--no-progress"], elsewhere);
        Assert.InRange(TemplateTests.FinalAccuracy(training), 0.5, 1.0);
    }

    [Fact]
    public void AnApplicationOnTheHostPackageFindsTheStandardPlugins()
    {
        string app = feed.NewFolder("HostApp");
        File.WriteAllText(Path.Combine(app, "HostApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Engine.Host" Version="{feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Engine;
            using Engine.Host;

            using var host = EngineHost.Create();
            using IBackend backend = host.CreateBackend("cpu");
            ModelSpec model = host.ResolveModel("lenet5");
            Console.WriteLine($"backend {backend.Name}");
            Console.WriteLine($"model {model.Name} of {model.Layers.Count} layers");
            """);
        string output = Path.Combine(app, "out");
        feed.RunOk("dotnet", ["build", app, "-c", "Release", "-o", output, "--nologo", "-v", "q"], feed.Root);
        Assert.True(File.Exists(Path.Combine(output, "plugins", "Engine.Backend.OpenBlas", "Engine.Backend.OpenBlas.dll")), "the standard plugins were not copied beside the application");

        string printed = feed.RunOk("dotnet", [Path.Combine(output, "HostApp.dll")], feed.NewFolder("app-run"));
        Assert.Contains("backend openblas", printed);
        Assert.Contains("model lenet5 of 12 layers", printed);
    }
}
