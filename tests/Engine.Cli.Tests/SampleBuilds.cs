namespace Engine.Cli.Tests;

/// <summary>
/// Builds of samples/SwishLayer in place (SamplePluginTests, and the README's own <c>dotnet build</c>
/// line in DocumentedExamplesTests' sandbox) share its obj/ folder; run in parallel, one could copy
/// the assembly the other is still writing. They take this lock, one at a time.
/// </summary>
internal static class SampleBuilds
{
    public static readonly Lock InPlace = new();
}
