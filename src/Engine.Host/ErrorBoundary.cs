using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Engine.Host;

/// <summary>
/// Words for an exception nobody anticipated (not an <see cref="EngineException"/>, not a backend's
/// op failure): one line naming what failed, so that the CLI keeps its promise of one error line and
/// exit code 1 instead of aborting with a stack trace, and the host API throws the engine's own
/// exception with the same words. Plugin code is blamed on its plugin.
/// </summary>
internal static class ErrorBoundary
{
    // Assemblies of the engine itself; an innermost frame in any other non-framework assembly is a plugin's.
    private static readonly HashSet<string> EngineAssemblies = new(StringComparer.Ordinal)
    {
        "Engine.Abstractions", "Engine.Core", "Engine.Cli", "Engine.Host", "engine", "Engine.Conformance", "check-backend",
    };

    /// <summary>One line (without the <c>error: </c> prefix) describing <paramref name="exception"/>.</summary>
    public static string Describe(Exception exception)
    {
        Exception e = Unwrap(exception);
        return InnermostPluginFrame(e) is (string plugin, string where)
            ? $"plugin {plugin} failed in {where}: {Words(e, "")}"
            : Words(e, Where(e));
    }

    private static string Words(Exception e, string where) => e switch
    {
        OutOfMemoryException =>
            $"not enough memory for {InnermostEngineFrame(e) ?? "this run"}: {e.Message} (a smaller model, input or --batch-size needs less)",
        OverflowException when e.Message.Contains("Array dimensions", StringComparison.Ordinal) =>
            $"not enough memory for {InnermostEngineFrame(e) ?? "this run"}: an array larger than .NET allows was asked for (a smaller model, input or --batch-size needs less)",
        OverflowException => $"a number is too large{where}: {e.Message}",
        UnauthorizedAccessException or IOException => $"cannot read or write a file: {e.Message}",
        JsonException json => $"invalid JSON{(json.Path is null ? "" : $" at {json.Path}")}" +
            $"{(json.LineNumber is long line ? $", line {line + 1}" : "")}{(json.BytePositionInLine is long pos ? $", position {pos + 1}" : "")}: {FirstSentence(json.Message)}",
        ArgumentException => $"invalid value{where}: {FirstSentence(e.Message)}",
        _ => $"{e.GetType().Name}{where}: {e.Message}",
    };

    private static Exception Unwrap(Exception e)
    {
        while (e is TargetInvocationException or AggregateException or TypeInitializationException && e.InnerException is not null)
        {
            e = e.InnerException!;
        }
        return e;
    }

    private static string Where(Exception e) => InnermostEngineFrame(e) is string where ? $" in {where}" : "";

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }

    // The innermost frame whose method belongs to the engine or a plugin (not the .NET libraries).
    private static string? InnermostEngineFrame(Exception e) =>
        Frames(e).Select(m => m.DeclaringType).FirstOrDefault(t => t is not null && !IsFramework(t.Assembly)) is Type type
            ? $"{type.Name}.{Frames(e).First(m => m.DeclaringType == type).Name}"
            : null;

    private static (string Plugin, string Where)? InnermostPluginFrame(Exception e)
    {
        foreach (MethodBase method in Frames(e))
        {
            if (method.DeclaringType is not Type type || IsFramework(type.Assembly))
            {
                continue;
            }
            string assembly = type.Assembly.GetName().Name ?? "?";
            return EngineAssemblies.Contains(assembly) ? null : (assembly, $"{type.Name}.{method.Name}");
        }
        return null;
    }

    private static IEnumerable<MethodBase> Frames(Exception e) =>
        new StackTrace(e, fNeedFileInfo: false).GetFrames().Select(f => f.GetMethod()).OfType<MethodBase>();

    private static bool IsFramework(Assembly assembly)
    {
        string name = assembly.GetName().Name ?? "";
        return name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft", StringComparison.Ordinal)
            || name is "mscorlib" or "netstandard";
    }
}
