using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Engine.Host.Tests;

/// <summary>
/// Compiles small assemblies in memory with Roslyn: a stand-in <c>Engine.Abstractions</c> of any
/// version, and a plugin built against it, exactly as a plugin author's compiler would record the
/// reference. Nothing compiled here is loaded by the test itself.
/// </summary>
internal static class PluginCompiler
{
    /// <summary>The framework and DI abstractions the test runs on, without any Engine assembly.</summary>
    private static readonly Lazy<MetadataReference[]> Framework = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Path.GetFileName(p).StartsWith("Engine.", StringComparison.OrdinalIgnoreCase))
            .Where(p => !Path.GetFileName(p).StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray());

    /// <summary>The plugin source: one IEnginePlugin that leaves a trace when any of its code runs.</summary>
    public static string PluginSource(string traceVariable) => $$"""
        using Microsoft.Extensions.DependencyInjection;

        namespace TestPlugins;

        public sealed class TracePlugin : Engine.IEnginePlugin
        {
            static TracePlugin() => System.Environment.SetEnvironmentVariable("{{traceVariable}}", "type initialised");

            public void Register(IServiceCollection services)
            {
                System.Environment.SetEnvironmentVariable("{{traceVariable}}", "registered");
                services.AddSingleton(new System.Uri("test:{{traceVariable}}"));
            }
        }

        internal static class ModuleStart
        {
            [System.Runtime.CompilerServices.ModuleInitializer]
            internal static void Run() => System.Environment.SetEnvironmentVariable("{{traceVariable}}", "module initialised");
        }
        """;

    /// <summary>An <c>Engine.Abstractions</c> of <paramref name="version"/> holding only IEnginePlugin.</summary>
    public static byte[] FakeSdk(Version version) => Compile("Engine.Abstractions", $$"""
        [assembly: System.Reflection.AssemblyVersion("{{version}}")]

        namespace Engine;

        public interface IEnginePlugin
        {
            void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services);
        }
        """, []);

    /// <summary>Compiles a library; fails the test with the compiler's errors.</summary>
    public static byte[] Compile(string assemblyName, string source, IEnumerable<MetadataReference> references)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            Framework.Value.Concat(references),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(result.Success, $"{assemblyName} did not compile: " + string.Join("; ", errors));
        return image.ToArray();
    }
}
